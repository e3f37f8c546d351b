import * as w from "./src/index.ts";
import { jit, grad, cond, scan, fori, whileLoop, tensor, Tensor, jvp, checkpoint, residualBytes, valueAndGrad } from "./src/index.ts";
const f = (x: Tensor) => cond(x.sum().gt(0), (a: Tensor) => a.sin().mul(a), (a: Tensor) => a.cos(), x);
const x = tensor([0.3, -0.1, 0.5]);
console.log(f(x).toArray(), jit(f)(x).toArray());
const gf = (x: Tensor) => f(x).sum();
console.log(grad(gf)(x).toArray(), jit(grad(gf))(x).toArray());
const xn = tensor([-0.3, -0.1, 0.5]);
console.log(grad(gf)(xn).toArray(), jit(grad(gf))(xn).toArray());
// scan: cumulative product-ish recurrence
const s = (x: Tensor) => { const [c, ys] = scan((c: Tensor, xi: Tensor) => { const n = c.mul(xi).add(xi.sin()); return [n, n.square()]; }, tensor(1), x); return c.add(ys.sum()); };
const xs = tensor([0.5, 0.7, -0.2, 0.9]);
console.log(s(xs).item(), jit(s)(xs).item());
console.log(grad(s)(xs).toArray(), jit(grad(s))(xs).toArray());
console.log(jvp(s, [xs], [tensor([1,0,0,0])])[1].item(), jvp(jit(s), [xs], [tensor([1,0,0,0])])[1].item());
const fo = (x: Tensor) => fori(0, 5, (i: any, c: Tensor) => c.mul(x).add(1), w.zerosLike(x)).sum();
console.log(fo(xs).item(), jit(fo)(xs).item(), grad(fo)(xs).toArray(), jit(grad(fo))(xs).toArray());
const wl = (x: Tensor) => whileLoop((c: Tensor[]) => c[1].lt(10), (c: Tensor[]) => [c[0].mul(x), c[1].add(1)], [x, tensor(0)])[0];
console.log(wl(tensor(1.1)).item(), jit(wl)(tensor(1.1)).item());
console.log(jvp(wl, [1.1], [1])[1].item(), jvp(jit(wl), [tensor(1.1)], [tensor(1)])[1].item());
try { jit(grad(wl))(tensor(1.1)); } catch (e) { console.log("ERR", (e as Error).message.slice(0, 100)); }
const deep = (x: Tensor) => { let y = x; for (let i = 0; i < 20; i++) y = y.sin().mul(1.1); return y.sum(); };
const big = w.linspace(0, 1, 1000);
console.log(residualBytes(deep, big), residualBytes(checkpoint(deep), big));
console.log(grad(deep)(big).sum().item(), grad(checkpoint(deep))(big).sum().item(), jit(grad(checkpoint(deep)))(big).sum().item());
