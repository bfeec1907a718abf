select * from read_parquet('report-data/drift_distributions.parquet')
