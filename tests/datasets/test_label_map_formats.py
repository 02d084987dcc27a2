"""Both label-map formats AVA ships are read."""
from mmaction_aia.datasets import read_label_map

# ava_action_list_v2.2.pbtxt (all 80 classes, with their type)
AVA_FULL = '''label {
  name: "bend/bow (at the waist)"
  label_id: 1
  label_type: PERSON_MOVEMENT
}
label {
  name: "answer phone"
  label_id: 80
  label_type: OBJECT_MANIPULATION
}
'''
# ava_action_list_v2.2_for_activitynet_2019.pbtxt (the evaluated 60)
AVA_ACTIVITYNET = '''item {
  name: "bend/bow (at the waist)"
  id: 1
}
item {
  name: "answer phone"
  id: 80
}
'''


def test_label_and_item_blocks_give_the_same_map(tmp_path):
    maps = []
    for name, text in (('full.pbtxt', AVA_FULL),
                       ('activitynet.pbtxt', AVA_ACTIVITYNET)):
        path = tmp_path / name
        path.write_text(text)
        maps.append(read_label_map(str(path)))
    assert maps[0] == maps[1] == {1: 'bend/bow (at the waist)',
                                  80: 'answer phone'}
