select * from read_parquet('report-data/realized_calibration.parquet')
