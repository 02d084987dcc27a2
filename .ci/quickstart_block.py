"""Print the N-th fenced shell block of the README's "Quick start" section.

Used by .ci/run (so CI runs exactly what the README tells users to run) and
by tests/tools/test_readme.py.
"""
import re
import sys


def quickstart_blocks(readme_text: str) -> list:
    """The fenced ``shell`` blocks under the ``## Quick start`` heading."""
    match = re.search(r'^## Quick start\s*$(.*?)(?=^## |\Z)', readme_text,
                      re.M | re.S)
    if match is None:
        raise SystemExit('README has no "## Quick start" section')
    return re.findall(r'^```(?:shell|bash|sh)\n(.*?)^```', match.group(1),
                      re.M | re.S)


if __name__ == '__main__':
    path, index = sys.argv[1], int(sys.argv[2])
    with open(path) as f:
        blocks = quickstart_blocks(f.read())
    if len(blocks) < index:
        raise SystemExit(f'Quick start has {len(blocks)} shell blocks, '
                         f'asked for block {index}')
    sys.stdout.write(blocks[index - 1])
