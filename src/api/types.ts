/**
 * @file The types of the transformations, computed from the function's type (as jax-js does): the
 * gradient of `(p: { w: Tensor; b: number }) => Tensor` is `{ w: Tensor; b: number }`, a number
 * argument gives a number gradient, `argnums` lists give tuples, `hasAux` gives `[grad, aux]`.
 * The returned functions are generic in the arguments actually passed, so a tensor parameter may
 * be called with a number or a nested array and the result type follows what was passed.
 */
import type { Tensor } from "../core/tensor.js";
import type { TypedArray } from "../core/dtype.js";

export type Fn = (...args: any[]) => any;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** Data that may stand where f takes a tensor (ops convert it). */
export type ArrayData = number | boolean | TypedArray | readonly ArrayData[];
/** A tensor or anything that converts to one (also arrays of tensors, which stack). */
export type TensorLikeData = Tensor | ArrayData | readonly TensorLikeData[];

/** What a call may pass where f declares a parameter of type T (a tensor also takes numbers and nested arrays). */
export type Accept<T> = IsAny<T> extends true ? any
  : T extends TensorLikeData ? (T extends Tensor ? TensorLikeData : T)
  : T extends (...a: any[]) => any ? T
  : T extends readonly unknown[] ? { [K in keyof T]: Accept<T[K]> }
  : T extends object ? { [K in keyof T]: Accept<T[K]> }
  : T;

/** The arguments a transformed f accepts. */
export type AcceptArgs<F extends Fn> = AcceptEach<Parameters<F>> & readonly unknown[];
type AcceptEach<P extends readonly unknown[]> = { [K in keyof P]: Accept<P[K]> };

/**
 * The gradient (cotangent) of a value of type T: numbers for numbers, tensors for tensors and float
 * typed arrays, null for what is not differentiable. (Data typed only as "any tensor-like value",
 * as a nested transformation's parameter is, gives `any`: the call with real arguments is typed.)
 */
export type GradOf<T> = IsAny<T> extends true ? any
  : TensorLikeData extends T ? any
  : T extends number ? number
  : T extends Tensor ? T // a tensor's own kind: a symbolic expression's gradient is an expression
  : T extends Float64Array | Float32Array ? Tensor
  : T extends boolean | string | bigint | symbol | null | undefined | TypedArray ? null
  : T extends (...a: any[]) => any ? null
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: GradOf<T[K]> }
  : T extends object ? { -readonly [K in keyof T]: GradOf<T[K]> }
  : null;

export type Argnums = number | readonly number[];

/** Gradients of the arguments named by argnums: one for a number, a tuple for a list. */
export type GradsFor<Args extends readonly unknown[], A> = A extends number
  ? GradOf<Args[A]>
  : A extends readonly number[] ? { -readonly [K in keyof A]: GradOf<Args[A[K] & number]> } : never;

/** The auxiliary value of a function returning `[output, aux]`. */
export type AuxOf<F extends Fn> = ReturnType<F> extends readonly [unknown, infer X] ? X : any; // [out, aux] typed as an array (not a tuple): any

export interface GradOptions<A extends Argnums = Argnums, H extends boolean = boolean> {
  /** Which positional arguments to differentiate (default 0). An array gives an array of gradients. */
  argnums?: A;
  /** f returns [output, aux]; aux is passed through undifferentiated. */
  hasAux?: H;
}

// The results are NoInfer: the arguments alone decide Args (inferring it from a contextual return
// type would instantiate the result types over every possible argument).
export type GradFn<F extends Fn, A, H> = <Args extends AcceptArgs<F>>(...args: Args) => NoInfer<H extends true ? [GradsFor<Args, A>, AuxOf<F>] : GradsFor<Args, A>>;

export type ValueAndGradFn<F extends Fn, A, H> = <Args extends AcceptArgs<F>>(...args: Args) => NoInfer<H extends true
  ? [[Tensor, AuxOf<F>], GradsFor<Args, A>]
  : [Tensor, GradsFor<Args, A>]>;

/** One Jacobian block structure: for each input leaf, a tensor (a number when both sides are numbers). */
type JacIn<O, I> = IsAny<I> extends true ? any
  : TensorLikeData extends I ? any
  : I extends number ? (O extends number ? number : Tensor)
  : I extends Tensor | Float64Array | Float32Array ? Tensor
  : I extends boolean | string | bigint | symbol | null | undefined ? null
  : I extends readonly unknown[] ? { -readonly [K in keyof I]: JacIn<O, I[K]> }
  : I extends object ? { -readonly [K in keyof I]: JacIn<O, I[K]> }
  : null;

/** The Jacobian of an output of type O with respect to an input of type I: O's structure, each leaf holding I's structure. */
export type Jac<O, I> = IsAny<O> extends true ? any
  : TensorLikeData extends O ? any
  : O extends Tensor | number ? JacIn<O, I>
  : O extends readonly unknown[] ? { -readonly [K in keyof O]: Jac<O[K], I> }
  : O extends object ? { -readonly [K in keyof O]: Jac<O[K], I> }
  : null;

export type JacFor<O, Args extends readonly unknown[], A> = A extends number
  ? Jac<O, Args[A]>
  : A extends readonly number[] ? Jac<O, { -readonly [K in keyof A]: Args[A[K] & number] }> : never;

export type JacFn<F extends Fn, A> = <Args extends AcceptArgs<F>>(...args: Args) => NoInfer<JacFor<ReturnType<F>, Args, A>>;

export type HessianFn<F extends Fn, A> = <Args extends AcceptArgs<F>>(...args: Args) => NoInfer<JacFor<JacFor<ReturnType<F>, Args, A>, Args, A>>;
