# AIA (parallel structure) on the Quick start's tiny SlowOnly; see the dense
# serial config for everything else.
_base_ = ['./aia_dense_serial_slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py']

model = dict(
    roi_head=dict(aia=dict(structure='parallel', block_list=[['P', 'O', 'M'], ['P', 'O', 'M']])))
