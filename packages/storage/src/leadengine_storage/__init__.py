"""LeadEngine storage: the schema, engines, migrations, repositories and unit of work.

Entry points build `unit_of_work.unit_of_work_factory(engine.create_engine(url))` once and open
one unit of work per request, webhook batch or job.
"""
