/**
 * The library as its users run it: imported by its package name, which resolves (package.json
 * "exports") to the build in dist/ — tsc's output, made by `npm install` and by every bench script
 * before it runs. Benchmarks import wengert from here, never from src/, so they time tsc's
 * JavaScript rather than a development loader's transform of the sources (tsx wraps every function
 * it creates to keep its name, which costs eager code a good fraction).
 */
export * from "wengert";
