// Decoding the kernel's wire format (gradviz/widget/wire.py): binary buffers to typed arrays, coded
// string and number columns, the constant-power exponents, and the child lists (CSR).

/** Float64Array from a DataView / ArrayBuffer / typed array / plain array (copied if unaligned). */
export function toFloat64(v) {
  return typed(v, Float64Array);
}

/** Int32Array likewise (the child lists). */
export function toInt32(v) {
  return typed(v, Int32Array);
}

/** Typed array of `Type` over a DataView / ArrayBuffer / typed array / plain array (copied if unaligned). */
export function typed(v, Type) {
  if (v == null) return new Type(0);
  if (v instanceof Type) return v;
  if (Array.isArray(v)) return Type.from(v);
  const buf = v.buffer ?? v;
  const off = v.byteOffset ?? 0;
  const len = v.byteLength ?? buf.byteLength;
  const k = Type.BYTES_PER_ELEMENT;
  if (off % k === 0) return new Type(buf, off, Math.floor(len / k));
  return new Type(buf.slice(off, off + len));
}

const INDEX_TYPES = { uint8: Uint8Array, uint16: Uint16Array, int32: Int32Array };

/** The index of a coded column: bytes of the column's dtype (int32 when not said). */
function indexOf(c) {
  return Array.isArray(c.index) ? c.index : typed(c.index, INDEX_TYPES[c.dtype || "int32"]);
}

/** A string column sent as a plain array or as {table, index, dtype} (see widget.py, _coded). */
export function decodeColumn(c) {
  if (Array.isArray(c)) return c;
  return lookup(indexOf(c), c.table, Array);
}

/** A new `Type` (Array or a typed array) with out[i] = table[index[i]]: a plain loop, several
 *  times faster than Array.from with a mapping function, which matters for a million-node column. */
function lookup(index, table, Type) {
  const n = index.length, out = new Type(n);
  for (let i = 0; i < n; i++) out[i] = table[index[i]];
  return out;
}

/** A number column as Float64Array: a plain array, float32 bytes, or {table, index, dtype}
 *  (few distinct values; see widget.py, _sizes). */
export function decodeNumbers(c) {
  if (c == null) return new Float64Array(0);
  if (Array.isArray(c)) return Float64Array.from(c);
  if (c.table) return lookup(indexOf(c), c.table, Float64Array);
  return new Float64Array(typed(c, Float32Array));
}

/** The structure's `exponents` column (gradviz.wire.exponents: the ascending ids of the constant
 *  powers, "**2.0", and their exponent) as {ids: Int32Array, k: Float64Array}; empty when the
 *  structure has none (a state saved before the column existed: its powers are left to the kernel). */
export function decodeExponents(c) {
  if (c == null) return { ids: new Int32Array(0), k: new Float64Array(0) };
  return { ids: toInt32(c.ids), k: toFloat64(c.k) };
}

/** Node i's constant exponent (a number, NaN included), or null when node i is not a constant
 *  power: a binary search of the ascending ids. */
export function exponentOf(e, i) {
  if (!e) return null;
  let lo = 0, hi = e.ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, v = e.ids[mid];
    if (v === i) return e.k[mid];
    if (v < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/** Children of node i are childIdx[childPtr[i] .. childPtr[i+1]). */
export function childrenOf(childPtr, childIdx, i) {
  return childIdx.subarray(childPtr[i], childPtr[i + 1]);
}

/** The graph the widget draws: the `_structure` trait with its coded columns decoded, and the
 *  child lists (`_child_ptr`, `_child_idx`: int32 bytes). */
export function decodeGraph(raw, childPtr, childIdx) {
  const structure = {
    ...raw, labels: decodeColumn(raw.labels), ops: decodeColumn(raw.ops), exponents: decodeExponents(raw.exponents),
    kinds: decodeColumn(raw.kinds), scopes: decodeColumn(raw.scopes),
  };
  return { structure, childPtr: toInt32(childPtr), childIdx: toInt32(childIdx) };
}
