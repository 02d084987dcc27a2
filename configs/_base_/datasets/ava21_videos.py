# AVA v2.1 straight from the 15-minute videos (no frame extraction; see
# docs/data_preparation.md, "Using the videos directly"). Annotation paths
# are those of ava21_rawframes.py; the segments come from
# `python tools/data/ava/prepare_ava.py cut` (VIDEO_ID.mp4, second 900 =
# frame 0). Use in the dataset dicts:
#     use_frames=False, data_prefix=dict(video=data_root), video_ext=video_ext
# and in the pipelines OpenCVInit first (keyframe seconds then map through
# each video's own frame rate), OpenCVDecode in place of RawFrameDecode
# (DecordInit / DecordDecode give the same frames, but index the whole
# video each time they open it):
#     [dict(type='OpenCVInit'), dict(type='SampleAVAFrames', ...),
#      dict(type='OpenCVDecode'), ...]
_base_ = ['./ava21_rawframes.py']

data_root = 'data/ava/videos_15min'
video_ext = '.mp4'
