from .skip_report_hook import SkipReportHook, skip_records_of_batch

__all__ = ['SkipReportHook', 'skip_records_of_batch']
