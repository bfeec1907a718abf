select * from read_parquet('report-data/run_summary.parquet')
