select * from read_parquet('report-data/stage_rows.parquet')
