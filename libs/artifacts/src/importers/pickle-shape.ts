import { VadError } from '@vad/core';
import type { PickleBudget } from './unpickler';

/**
 * The unpickled value's shape, checked once before any caller walks it: nesting deeper than
 * maxDepth (callers recurse: 200 000 nested lists overflowed their stack), a container that holds
 * itself (a recursive walk would never end), or more than maxElements values once shared
 * containers are counted each time they are reached (a "billion laughs" of lists of the same
 * list costs a recursive caller 2^depth). Iterative, each container visited once: linear.
 */
type Frame = { readonly node: object; readonly children: unknown[]; i: number; depth: number; size: number };

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);

function childrenOf(o: object): unknown[] {
  if (Array.isArray(o)) return o;
  if (o instanceof Map) return [...o.keys(), ...o.values()];
  if (o instanceof Set) return [...o];
  return Object.values(o);
}

export function checkPickleShape(root: unknown, budget: PickleBudget): void {
  if (!isContainer(root)) return;
  const { maxDepth, maxElements } = budget.limits;
  const done = new Map<object, { depth: number; size: number }>();
  const onPath = new Set<object>([root]);
  const frames: Frame[] = [{ node: root, children: childrenOf(root), i: 0, depth: 0, size: 0 }];
  const add = (f: Frame, depth: number, size: number) => {
    f.depth = Math.max(f.depth, depth);
    f.size += size;
    if (f.size > maxElements) budget.refuse(`${f.size} values once shared containers are counted where they are used`, maxElements, 'VAD_PICKLE_MAX_ELEMENTS');
  };
  while (frames.length > 0) {
    const f = frames[frames.length - 1]!;
    if (f.i < f.children.length) {
      const c = f.children[f.i++];
      if (!isContainer(c)) {
        add(f, 0, 1);
        continue;
      }
      const seen = done.get(c);
      if (seen) {
        add(f, seen.depth, seen.size);
        continue;
      }
      if (onPath.has(c))
        throw new VadError(
          'unsafe_pickle',
          `${budget.source}: a container holds itself (a cycle, which no model file needs); refusing the pickle (nothing was executed)`,
          { file: budget.source },
        );
      if (frames.length >= maxDepth) budget.refuse(`containers nested ${frames.length + 1} deep`, maxDepth, 'VAD_PICKLE_MAX_DEPTH');
      onPath.add(c);
      frames.push({ node: c, children: childrenOf(c), i: 0, depth: 0, size: 0 });
      continue;
    }
    frames.pop();
    onPath.delete(f.node);
    const result = { depth: f.depth + 1, size: f.size + 1 };
    done.set(f.node, result);
    const parent = frames[frames.length - 1];
    if (parent) add(parent, result.depth, result.size);
  }
}
