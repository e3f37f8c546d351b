/**
 * @file The transformations' types, checked by `tsc -p tsconfig.tests.json` in `npm test`: result
 * types follow the function's type, argnums and hasAux, and misuse is a compile error (each
 * `@ts-expect-error` line must be an error, or the type check fails). The calls also run.
 */
import { describe, it, expect, expectTypeOf } from "vitest";
import { Tensor, tensor, grad, valueAndGrad, jvp, vjp, linearize, jacfwd, jacrev, hessian, vmap, jit, sum, mul, add, square } from "../src/index.js";

type Params = { w: Tensor; b: number };
const loss = (p: Params) => add(sum(square(p.w)), mul(p.b, p.b));
const p0: Params = { w: tensor([1, 2]), b: 0.5 };

describe("typed transformations", () => {
  it("grad: the gradient has the argument's type; numbers in, numbers out", () => {
    const g = grad(loss)(p0);
    expectTypeOf(g).toEqualTypeOf<{ w: Tensor; b: number }>();
    expect(g.b).toBe(1);
    // @ts-expect-error a typo on a gradient's field
    void g.wieght;
    // @ts-expect-error a gradient is not a string
    const s: string = grad(loss)(p0);
    void s;
    const n = grad((x: Tensor) => mul(x, x))(3);
    expectTypeOf(n).toEqualTypeOf<number>();
    expect(n).toBe(6);
    const t = grad((x: Tensor) => sum(mul(x, x)))(tensor([1, 2]));
    expectTypeOf(t).toEqualTypeOf<Tensor>();
    const arr = grad((x: Tensor) => sum(mul(x, x)))([1, 2, 3]);
    expectTypeOf(arr).toEqualTypeOf<number[]>();
    expect(arr).toEqual([2, 4, 6]);
  });

  it("argnums lists give tuples; hasAux gives [grad, aux]", () => {
    const f = (x: Tensor, y: Tensor, name: string) => mul(mul(x, y), name.length);
    const [gx, gy] = grad(f, { argnums: [0, 1] })(2, tensor(3), "ab");
    expectTypeOf(gx).toEqualTypeOf<number>();
    expectTypeOf(gy).toEqualTypeOf<Tensor>();
    expect(gx).toBe(6);
    const g2 = grad(f, { argnums: 2 })(2, 3, "ab");
    expectTypeOf(g2).toEqualTypeOf<null>();
    const [g, aux] = grad((x: Tensor) => [mul(x, x), { note: "hi" }] as const, { hasAux: true })(3);
    expectTypeOf(g).toEqualTypeOf<number>();
    expectTypeOf(aux).toEqualTypeOf<{ readonly note: "hi" }>();
    const [[v, aux2], g3] = valueAndGrad((x: Tensor) => [mul(x, x), 7] as const, { hasAux: true })(3);
    expectTypeOf(v).toEqualTypeOf<Tensor>();
    expectTypeOf(aux2).toEqualTypeOf<7>();
    expectTypeOf(g3).toEqualTypeOf<number>();
    // @ts-expect-error argnums is not a string
    grad(f, { argnums: "1" });
    // @ts-expect-error too many arguments for f (at run time the extra one is ignored)
    expect(grad((x: Tensor) => x)(1, 2)).toBe(1);
    // @ts-expect-error a string where f takes a tensor
    expect(() => grad((x: Tensor) => x)("3")).toThrow();
  });

  it("jvp, vjp, linearize, Jacobians, vmap and jit keep types", () => {
    const [y, t] = jvp((x: Tensor) => mul(x, 2), [tensor([1])], [tensor([1])]);
    expectTypeOf(y).toEqualTypeOf<Tensor>();
    expectTypeOf(t).toEqualTypeOf<Tensor>();
    const [out, back] = vjp((a: Tensor, b: number) => mul(a, b), tensor([1, 2]), 3);
    expectTypeOf(out).toEqualTypeOf<Tensor>();
    const [ga, gb] = back(tensor([1, 1]));
    expectTypeOf(ga).toEqualTypeOf<Tensor>();
    expectTypeOf(gb).toEqualTypeOf<number>();
    const [o2, back2, aux2] = vjp((a: Tensor) => [mul(a, 2), { n: 3 }] as [Tensor, { n: number }], tensor([1, 2]), { hasAux: true });
    expectTypeOf(o2).toEqualTypeOf<Tensor>();
    expectTypeOf(aux2).toEqualTypeOf<{ n: number }>();
    expectTypeOf(back2(tensor([1, 1]))[0]).toEqualTypeOf<Tensor>();
    const [, df] = linearize((x: Tensor) => mul(x, x), tensor([2]));
    expectTypeOf(df(tensor([1]))).toEqualTypeOf<Tensor>();
    expectTypeOf(jacfwd((x: Tensor) => mul(x, x))(tensor([1, 2]))).toEqualTypeOf<Tensor>();
    expectTypeOf(jacrev((p: Params) => sum(p.w))(p0)).toEqualTypeOf<{ w: Tensor; b: Tensor }>();
    expectTypeOf(hessian((x: Tensor) => sum(mul(x, x)))(tensor([1, 2]))).toEqualTypeOf<Tensor>();
    const batched = vmap((x: Tensor) => sum(x));
    expectTypeOf(batched).toEqualTypeOf<(x: Tensor) => Tensor>();
    const vg = jit(valueAndGrad(loss));
    const [value, gp] = vg(p0);
    expectTypeOf(value).toEqualTypeOf<Tensor>();
    expectTypeOf(gp).toEqualTypeOf<{ w: Tensor; b: number }>();
    expect(gp.b).toBe(1);
    expectTypeOf(jit(grad((x: Tensor) => mul(x, x)))(3)).toEqualTypeOf<number>();
    expect(vg.compiles).toBe(1);
    // @ts-expect-error jit keeps f's parameters
    expect(() => jit((x: Tensor) => x.sin())("x")).toThrow();
    // into keeps f's parameters and result type; its storage is typed arrays in the result's structure
    const [v2, g2] = vg.into([null, { w: new Float64Array(2), b: null }])(p0);
    expectTypeOf(v2).toEqualTypeOf<Tensor>();
    expectTypeOf(g2).toEqualTypeOf<{ w: Tensor; b: number }>();
    expect(g2.b).toBe(1);
    // @ts-expect-error storage is typed arrays (or null), not numbers
    expect(() => vg.into([null, { w: [0, 0], b: null }])(p0)).toThrow(/must be a typed array/);
  });
});
