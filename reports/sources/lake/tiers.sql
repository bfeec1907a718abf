select * from read_parquet('report-data/tiers.parquet')
