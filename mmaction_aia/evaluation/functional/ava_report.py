"""Readable reports of an :class:`AVAResult`: a text table and a bar chart."""
import math
from typing import List

from .ava_map import AVAResult

_MODE_TITLES = {
    'official': 'official ActivityNet semantics',
    'mmaction2': "mmaction2 1.x's variant (not the official protocol)",
}


def _ap(value: float) -> str:
    return '   n/a' if math.isnan(value) else f'{value:6.4f}'


def format_ava_table(result: AVAResult, max_name: int = 42) -> str:
    """The per-class table, group means and mAP as text.

    Args:
        result (AVAResult): An evaluation.
        max_name (int): Longer class names are shortened to this width.

    Returns:
        str: Lines ``id  class  AP  #GT``, then the group means and the mAP.
        ``n/a`` marks classes that are not evaluated (no ground truth).
    """
    names = {c: (n if len(n) <= max_name else n[:max_name - 3] + '...')
             for c, n in result.class_names.items()}
    width = max([len(n) for n in names.values()] + [5])
    lines: List[str] = [
        f'AVA frame-mAP@0.5IoU, {_MODE_TITLES.get(result.mode, result.mode)}',
        f'{"id":>4}  {"class":<{width}}  {"AP":>6}  {"#GT":>7}  {"#det":>8}',
    ]
    for class_id, ap in result.per_class_ap.items():
        lines.append(f'{class_id:>4}  {names[class_id]:<{width}}  {_ap(ap)}  '
                     f'{result.num_gt[class_id]:>7}  '
                     f'{result.num_det[class_id]:>8}')
    if result.group_ap:
        lines.append('group means:')
        label_width = max(len(g) for g in result.group_ap)
        for group, ap in result.group_ap.items():
            lines.append(f'  {group:<{label_width}}  {_ap(ap)}')
    evaluated = sum(not math.isnan(v) for v in result.per_class_ap.values())
    lines.append(f'mAP {_ap(result.mAP).strip()} over {evaluated} classes')
    return '\n'.join(lines)


def plot_ava_result(result: AVAResult, path: str) -> None:
    """Save per-class AP as a bar chart (needs matplotlib).

    Args:
        result (AVAResult): An evaluation.
        path (str): Image file (format from its extension, e.g. ``.png``).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError('plotting needs matplotlib: pip install '
                          'matplotlib') from error
    ids = list(result.per_class_ap)
    values = [0.0 if math.isnan(v) else v
              for v in result.per_class_ap.values()]
    group_of = {c: g for g, members in result.class_groups.items()
                for c in members}
    groups = list(dict.fromkeys(group_of.get(c, 'other') for c in ids))
    palette = ['tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:purple',
               'tab:brown', 'tab:gray']
    colour = {g: palette[i % len(palette)] for i, g in enumerate(groups)}
    figure = Figure(figsize=(max(6.0, 0.22 * len(ids) + 2), 5.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(range(len(ids)), values,
             color=[colour[group_of.get(c, 'other')] for c in ids])
    for group in groups:
        axes.bar([0], [0], color=colour[group], label=group)
    if not math.isnan(result.mAP):
        axes.axhline(result.mAP, color='black', linestyle='--', linewidth=1,
                     label=f'mAP {result.mAP:.4f}')
    axes.set_xticks(range(len(ids)))
    axes.set_xticklabels([result.class_names.get(c, str(c)) for c in ids],
                         rotation=90, fontsize=7)
    axes.set_ylim(0, 1)
    axes.set_ylabel('AP@0.5IoU')
    axes.set_title(f'AVA per-class AP ({result.mode})')
    axes.legend(fontsize=8, loc='upper right')
    figure.tight_layout()
    figure.savefig(path, dpi=120)
