select * from read_parquet('report-data/pr_curve.parquet')
