from .boxcaseg_data_preprocessor import (BoxCasegDataPreprocessor,
                                         stack_gt_labels)

__all__ = ['BoxCasegDataPreprocessor', 'stack_gt_labels']
