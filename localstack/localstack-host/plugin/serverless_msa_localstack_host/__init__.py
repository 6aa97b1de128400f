"""Host-mode LocalStack plugins for serverless-msa's LocalStack lane."""
