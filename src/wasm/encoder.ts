/**
 * @file A small WebAssembly assembler: just enough of the binary format (module sections, LEB128,
 * structured control, i32 arithmetic, memory access and the 128-bit SIMD subset the kernels use)
 * to emit kernels at run time. Kernels are generated rather than shipped as a binary so their
 * shape (register blocking, lanes per vector) stays a parameter in readable TypeScript.
 *
 * Reference: the WebAssembly core specification, binary format (modules, instructions, SIMD).
 */

export const enum ValType {
  i32 = 0x7f,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
}

function uleb(out: number[], v: number): void {
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  out.push(...body);
}

/** Instructions of one function body; locals are numbered after the parameters. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: ValType[], readonly results: ValType[] = []) {}

  /** Declare a local; returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private simd(opcode: number): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    return this;
  }
  private memarg(align: number, offset: number): this {
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  get(i: number): this {
    this.op(0x20);
    uleb(this.code, i);
    return this;
  }
  set(i: number): this {
    this.op(0x21);
    uleb(this.code, i);
    return this;
  }
  tee(i: number): this {
    this.op(0x22);
    uleb(this.code, i);
    return this;
  }
  i32Const(v: number): this {
    this.op(0x41);
    sleb(this.code, v | 0);
    return this;
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Ne(): this {
    return this.op(0x47);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  /** Pops a, b, condition: a if the condition is nonzero, else b. */
  select(): this {
    return this.op(0x1b);
  }
  f32Load(offset = 0): this {
    return this.op(0x2a).memarg(2, offset);
  }
  f64Load(offset = 0): this {
    return this.op(0x2b).memarg(3, offset);
  }
  f32Store(offset = 0): this {
    return this.op(0x38).memarg(2, offset);
  }
  f64Store(offset = 0): this {
    return this.op(0x39).memarg(3, offset);
  }

  /** `block … end` (branch target: after the block). */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `loop … end` (branch target: the loop's start). */
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `if … else … end` on the popped condition. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    then();
    if (otherwise) this.op(0x05), otherwise();
    return this.op(0x0b);
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(this.code, depth);
    return this;
  }
  brIf(depth: number): this {
    this.op(0x0d);
    uleb(this.code, depth);
    return this;
  }

  // 128-bit SIMD; alignment is given as log2 of bytes, offsets are constant byte displacements
  v128Load(offset = 0): this {
    return this.simd(0x00).memarg(4, offset);
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b).memarg(4, offset);
  }
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09).memarg(2, offset);
  }
  v128Load64Splat(offset = 0): this {
    return this.simd(0x0a).memarg(3, offset);
  }
  v128Zero(): this {
    this.simd(0x0c);
    for (let i = 0; i < 16; i++) this.code.push(0);
    return this;
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f64x2Add(): this {
    return this.simd(0xf0);
  }
  f64x2Mul(): this {
    return this.simd(0xf2);
  }

  /** The function's body entry: local declarations (run-length by type) and code. */
  encode(): number[] {
    const body: number[] = [];
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(body, runs.length);
    for (const [n, t] of runs) uleb(body, n), body.push(t);
    body.push(...this.code, 0x0b);
    const out: number[] = [];
    uleb(out, body.length);
    out.push(...body);
    return out;
  }
}

/** A module of exported functions over one exported, growable memory named `memory`. */
export class ModuleBuilder {
  private readonly fns: { name: string; fn: FunctionBuilder }[] = [];

  constructor(private readonly initialPages = 1) {}

  addFunction(exportName: string, fn: FunctionBuilder): void {
    this.fns.push({ name: exportName, fn });
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types: number[] = [];
    uleb(types, this.fns.length);
    for (const { fn } of this.fns) {
      types.push(0x60);
      uleb(types, fn.params.length);
      types.push(...fn.params);
      uleb(types, fn.results.length);
      types.push(...fn.results);
    }
    section(out, 1, types);
    const funcs: number[] = [];
    uleb(funcs, this.fns.length);
    this.fns.forEach((_, i) => uleb(funcs, i));
    section(out, 3, funcs);
    const mem: number[] = [1, 0x00];
    uleb(mem, this.initialPages);
    section(out, 5, mem);
    const exps: number[] = [];
    uleb(exps, this.fns.length + 1);
    this.fns.forEach(({ name: n }, i) => {
      name(exps, n);
      exps.push(0x00);
      uleb(exps, i);
    });
    name(exps, "memory");
    exps.push(0x02, 0x00);
    section(out, 7, exps);
    const code: number[] = [];
    uleb(code, this.fns.length);
    for (const { fn } of this.fns) code.push(...fn.encode());
    section(out, 10, code);
    return new Uint8Array(out);
  }
}
