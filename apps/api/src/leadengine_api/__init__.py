"""LeadEngine API service."""
