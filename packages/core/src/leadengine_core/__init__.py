"""LeadEngine core: the pure domain (entities, rules, errors and ports), standard library only.

Import from the modules themselves (`leadengine_core.tickets`, `leadengine_core.ports`, …);
time and ids are always passed in, so every rule here is deterministic.
"""
