select * from read_parquet('report-data/roc_curve.parquet')
