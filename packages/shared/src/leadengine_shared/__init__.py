"""LeadEngine shared."""
