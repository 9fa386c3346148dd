"""Before and after: two runs compared per transaction and on capacity, with significance."""
