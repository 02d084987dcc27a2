# AVA v2.2 straight from the 15-minute videos (no frame extraction; see
# docs/data_preparation.md, "Using the videos directly"). The files come
# from tools/data/ava/prepare_ava.py (annotations --version 2.2, proposals,
# videos, cut). Use in the dataset dicts:
#     use_frames=False, data_prefix=dict(video=data_root), video_ext=video_ext
# and in the pipelines OpenCVInit first (keyframe seconds then map through
# each video's own frame rate), OpenCVDecode in place of RawFrameDecode
# (DecordInit / DecordDecode give the same frames, but index the whole
# video each time they open it):
#     [dict(type='OpenCVInit'), dict(type='SampleAVAFrames', ...),
#      dict(type='OpenCVDecode'), ...]
dataset_type = 'AVADataset'
data_root = 'data/ava/videos_15min'
video_ext = '.mp4'
anno_root = 'data/ava/annotations'

ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'

exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'

label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'

proposal_file_train = (f'{anno_root}/ava_dense_proposals_train.FAIR.'
                       'recall_93.9.pkl')
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'
