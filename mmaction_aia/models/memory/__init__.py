from .feature_bank import BankEntry, FeatureBank, MemoryReadout

__all__ = ['BankEntry', 'FeatureBank', 'MemoryReadout']
