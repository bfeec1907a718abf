select * from read_parquet('report-data/realized_tiers.parquet')
