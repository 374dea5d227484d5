"""Pure rules: no Flask, no boto3, no environment reads. Everything else calls into these modules."""
