"""AIA aggregation speed: batched (padded + masks + SDPA) vs a per-person loop.

The reference is a straightforward implementation of the same maths in
AlphAction's layout: each person gets its own copy of its clip's objects and
memory, reduced per person, and attention runs person by person in a Python
loop. Both use the same AIAStructure weights; the script prints the time of
each, the speed-up and the largest output difference, measured in one run.

    python benchmarks/aia_head.py            # 16 clips x 10 persons x 5
                                             # objects x 305 memory slots
    python benchmarks/aia_head.py --dim-in 256 --dim-inner 128  # quicker

Timings on a shared CPU are noisy; compare ratios within one run.
"""
import argparse
import time

import torch
import torch.nn.functional as F

from mmaction_aia.models.roi_heads.aia import AIAStructure


def block_step(block, query, others, positions=None):
    """One interaction block for one person: query [C], others [K, C]."""
    k, v = block.key(others), block.value(others)
    if positions is not None:
        k = k + block.temporal_position_k[positions]
        v = v + block.temporal_position_v[positions]
    q = block.query(query)
    attn = torch.softmax(k @ q / q.shape[-1]**0.5, dim=0)
    out = F.layer_norm(attn @ v, (v.shape[-1], ))
    out = block.out(F.relu(out))
    return out + (query if block.shortcut is None else block.shortcut(query))


@torch.no_grad()
def loop_reference(model, inputs):
    """Person-by-person AIA (serial or dense), AlphAction's data layout."""
    person, pmask = inputs['person'], inputs['person_mask']
    persons = [(b, i) for b in range(person.shape[0])
               for i in range(person.shape[1]) if pmask[b, i]]
    query = {p: model.person_dim_reduce(person[p]) for p in persons}
    pkey = {p: model.person_key_dim_reduce(person[p]) for p in persons}
    objects, memory, positions = {}, {}, {}
    for b, i in persons:  # each person reduces its own copy
        omask, mmask = inputs['object_mask'][b], inputs['memory_mask'][b]
        objects[b, i] = model.object_dim_reduce(inputs['objects'][b][omask])
        memory[b, i] = model.mem_dim_reduce(inputs['memory'][b][mmask])
        positions[b, i] = inputs['memory_positions'][mmask]
    history = []
    for idx, ((kind, ), (name, )) in enumerate(
            zip(model.layers, model.block_names)):
        block = model.blocks[name]
        if model.structure == 'dense' and idx >= 2:
            weights = model.dense_params[str(idx)].softmax(0)
            query = {p: sum(w * h[p] for w, h in zip(weights, history))
                     for p in persons}
            pkey = query
        new = {}
        for b, i in persons:
            if kind == 'P':
                others = torch.stack([pkey[p] for p in persons if p[0] == b])
                new[b, i] = block_step(block, query[b, i], others)
            elif kind == 'O':
                new[b, i] = block_step(block, query[b, i], objects[b, i])
            else:
                new[b, i] = block_step(block, query[b, i], memory[b, i],
                                       positions[b, i])
        query = pkey = new
        history.append(new)
    return torch.stack([query[p] for p in persons])


def make_inputs(args):
    g = torch.Generator().manual_seed(0)
    b, slots = args.clips, args.memory_seconds * args.per_sec
    memory_mask = torch.rand(b, slots, generator=g) < 0.6
    return dict(
        person=torch.randn(b, args.persons, args.dim_in, generator=g),
        person_mask=torch.ones(b, args.persons, dtype=torch.bool),
        objects=torch.randn(b, args.objects, args.dim_in, generator=g),
        object_mask=torch.ones(b, args.objects, dtype=torch.bool),
        memory=torch.randn(b, slots, args.dim_in, generator=g) *
        memory_mask.unsqueeze(-1),
        memory_mask=memory_mask,
        memory_positions=torch.arange(
            args.memory_seconds).repeat_interleave(args.per_sec))


def best_time(fn, repeat):
    """Best of ``repeat`` timed calls after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clips', type=int, default=16)
    parser.add_argument('--persons', type=int, default=10)
    parser.add_argument('--objects', type=int, default=5)
    parser.add_argument('--memory-seconds', type=int, default=61)
    parser.add_argument('--per-sec', type=int, default=5)
    parser.add_argument('--dim-in', type=int, default=2304)
    parser.add_argument('--dim-inner', type=int, default=1024)
    parser.add_argument('--structure', default='dense',
                        choices=['serial', 'dense'])
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = AIAStructure(
        args.dim_in, ['P', 'O', 'M', 'P', 'O', 'M'], args.structure,
        dim_inner=args.dim_inner, dim_out=args.dim_in,
        num_memory_positions=args.memory_seconds, zero_init_out=False).eval()
    inputs = make_inputs(args)
    print(f'{args.clips} clips x {args.persons} persons x {args.objects} '
          f'objects x {args.memory_seconds * args.per_sec} memory slots, '
          f'dim {args.dim_in} -> {args.dim_inner}, {args.structure}, '
          f'{torch.get_num_threads()} threads')
    with torch.no_grad():
        batched_s, batched = best_time(lambda: model(**inputs), args.repeat)
    loop_s, looped = best_time(lambda: loop_reference(model, inputs),
                               args.repeat)
    diff = (batched[inputs['person_mask']] - looped).abs().max().item()
    print(f'per-person loop: {loop_s * 1000:9.1f} ms')
    print(f'batched (ours):  {batched_s * 1000:9.1f} ms')
    print(f'speed-up: {loop_s / batched_s:.1f}x   max |difference|: '
          f'{diff:.2e}')


if __name__ == '__main__':
    main()
