using Strand.Tools;
using Xunit;

namespace Strand.Tests.Runtime;

/// <summary>
/// Scripts from the review of typed function references (WebAssembly 3.0) that held: each command must pass. (WastRunner
/// checks that an assert_invalid module is invalid, not its message.)
/// </summary>
public class TypedFunctionReferenceScriptTests
{
    /// <summary>type indices out of range everywhere, non-nullable tables and globals, untyped select, br_table with typed labels, bottom types in unreachable and reachable code, non-nullable locals across if/else, loop, try_table and legacy try.</summary>
    private const string ValidationCornerCases = """"
        ;; forward reference between types
        (assert_invalid (module (type $a (func (param (ref $b)))) (type $b (func))) "unknown type")
        (assert_invalid (module (type $a (func (result (ref 5))))) "unknown type")
        ;; type index out of range everywhere
        (assert_invalid (module (func (local (ref null 7)))) "unknown type")
        (assert_invalid (module (global (ref null 7) (ref.null 7))) "unknown type")
        (assert_invalid (module (table 1 (ref null 7))) "unknown type")
        (assert_invalid (module (elem (ref null 7))) "unknown type")
        (assert_invalid (module (func (block (result (ref null 7)) (unreachable)))) "unknown type")
        (assert_invalid (module (func (result funcref) (select (result (ref null 7)) (ref.null func) (ref.null func) (i32.const 0))))  "unknown type")
        (assert_invalid (module (func (drop (ref.null 7)))) "unknown type")
        (assert_invalid (module (import "m" "g" (global (ref null 7)))) "unknown type")
        (assert_invalid (module (import "m" "t" (table 1 (ref null 7)))) "unknown type")
        (assert_invalid (module (type (func (param (ref null 7)))) (tag (type 0))) "unknown type")
        (assert_invalid (module (type (func)) (func (call_ref 3 (unreachable)))) "unknown type")
        ;; non-nullable tables
        (assert_invalid (module (type $t (func)) (table 1 (ref $t))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (table $tb 1 (ref $t) (ref.func $f))
          (func (drop (table.grow $tb (ref.null $t) (i32.const 1))))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (table $tb 1 (ref $t) (ref.func $f))
          (func (table.fill $tb (i32.const 0) (ref.null $t) (i32.const 1)))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (table $tb 1 (ref $t) (ref.func $f))
          (func (table.set $tb (i32.const 0) (ref.null nofunc)))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (table $tb 1 (ref $t) (ref.func $f)) (table $n 1 (ref null $t))
          (func (table.copy $tb $n (i32.const 0) (i32.const 0) (i32.const 1)))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (table $tb 1 (ref $t) (ref.func $f)) (elem $e funcref (ref.func $f))
          (func (table.init $tb $e (i32.const 0) (i32.const 0) (i32.const 1)))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (table $tb 1 (ref $t) (ref.func $f))
          (elem (table $tb) (i32.const 0) (ref null $t) (ref.null $t))) "type mismatch")
        (assert_invalid (module (type $t (func)) (global (ref $t) (ref.null $t))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f) (global $g (mut (ref $t)) (ref.func $f)) (elem declare func $f)
          (func (global.set $g (ref.null $t)))) "type mismatch")
        ;; select without annotation on references
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f) (func (drop (select (ref.func $f) (ref.func $f) (i32.const 0))))) "type mismatch")
        ;; br_table with typed labels
        (module (type $t (func)) (func $f) (elem declare func $f)
          (func (export "bt") (param i32) (result i32)
            (block $a (result (ref null $t))
              (block $b (result (ref $t))
                (br_table $a $b (ref.func $f) (local.get 0)))
              (drop) (return (i32.const 1)))
            (drop) (i32.const 2)))
        (assert_return (invoke "bt" (i32.const 0)) (i32.const 2))
        (assert_return (invoke "bt" (i32.const 1)) (i32.const 1))
        (assert_invalid (module (type $t (func))
          (func (param i32) (param (ref null $t)) (result (ref $t))
            (block $a (result (ref null $t))
              (block $b (result (ref $t))
                (br_table $a $b (local.get 1) (local.get 0)))
              (return)) (unreachable))) "type mismatch")
        ;; unreachable polymorphism
        (module (type $t (func (result i32)))
          (func (export "u1") (result i32) (unreachable) (ref.as_non_null) (call_ref $t))
          (func (export "u2") (result i32) (block (result i32) (unreachable) (br_on_null 0) (drop)))
          (func (export "bot") (result i32) (call_ref $t (ref.as_non_null (ref.null nofunc))))
          (func (export "bot2") (result i32) (call_ref $t (ref.null nofunc)))
          (func (export "bot3") (result i32) (block $l (result (ref $t)) (br_on_non_null $l (ref.null nofunc)) (return (i32.const 9))) (call_ref $t))
          (func (export "bot4") (result i32) (block $l (br_on_null $l (ref.null nofunc)) (call_ref $t) (return)) (i32.const 8))
        )
        (assert_trap (invoke "bot") "null reference")
        (assert_trap (invoke "bot2") "null function reference")
        (assert_return (invoke "bot3") (i32.const 9))
        (assert_return (invoke "bot4") (i32.const 8))
        (assert_invalid (module (func (unreachable) (br_on_non_null 0))) "type mismatch")
        ;; non-nullable locals
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f)
          (func (param i32) (local $x (ref $t)) (if (local.get 0) (then (local.set $x (ref.func $f))) (else (drop (local.get $x)))))) "uninitialized local")
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f)
          (func (param i32) (local $x (ref $t)) (if (local.get 0) (then (local.set $x (ref.func $f))) (else (local.set $x (ref.func $f)))) (drop (local.get $x)))) "uninitialized local")
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f)
          (func (local $x (ref $t)) (loop (local.set $x (ref.func $f))) (drop (local.get $x)))) "uninitialized local")
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f) (tag $e)
          (func (local $x (ref $t)) (block $h (try_table (catch_all $h) (local.set $x (ref.func $f)) (throw $e))) (drop (local.get $x)))) "uninitialized local")
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f) (tag $e)
          (func (local $x (ref $t)) (try (do (local.set $x (ref.func $f)) (throw $e)) (catch_all (drop (local.get $x)))))) "uninitialized local")
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f) (tag $e)
          (func (local $x (ref $t)) (try (do (local.set $x (ref.func $f)) (throw $e)) (catch $e (drop (local.get $x)))))) "uninitialized local")
        (module (type $t (func (result i32))) (func $f (result i32) (i32.const 5)) (elem declare func $f)
          (func (export "ok") (param i32) (result i32) (local $x (ref $t)) (local.set $x (ref.func $f))
            (if (result i32) (local.get 0) (then (call_ref $t (local.get $x))) (else (block (result i32) (loop (result i32) (call_ref $t (local.get $x))))))))
        (assert_return (invoke "ok" (i32.const 0)) (i32.const 5))
        (assert_return (invoke "ok" (i32.const 1)) (i32.const 5))
        (module (type $t (func (result i32))) (func $f (result i32) (i32.const 6)) (elem declare func $f)
          (func (export "tee") (result i32) (local $x (ref $t)) (drop (local.tee $x (ref.func $f))) (call_ref $t (local.get $x))))
        (assert_return (invoke "tee") (i32.const 6))
        """";

    /// <summary>a self-referential type across modules: imports of functions, tables, globals and tags; structurally equal but iso-recursively different types refused; global subtyping; call_indirect across modules; multi-value call_ref and return_call_ref with exceptions.</summary>
    private const string CrossModuleTypes = """"
        (module $A
          (type $s (func (param (ref null $s)) (result i32)))
          (type $p (func (param i32 i32) (result i32 i32)))
          (func $self (export "self") (type $s) (if (result i32) (ref.is_null (local.get 0)) (then (i32.const 1)) (else (i32.const 2))))
          (func $swap (export "swap") (type $p) (local.get 1) (local.get 0))
          (table $t (export "t") 2 (ref null $s))
          (elem (table $t) (i32.const 0) (ref null $s) (ref.func $self))
          (global (export "g") (ref $s) (ref.func $self))
          (global (export "gm") (mut (ref null $s)) (ref.null $s))
          (tag (export "e") (param (ref null $s)))
        )
        (register "A" $A)
        ;; same self-referential type imported
        (module $B
          (type $s (func (param (ref null $s)) (result i32)))
          (import "A" "self" (func $self (type $s)))
          (import "A" "t" (table $t 2 (ref null $s)))
          (import "A" "g" (global $g (ref $s)))
          (import "A" "gm" (global $gm (mut (ref null $s))))
          (import "A" "e" (tag $e (param (ref null $s))))
          (func (export "ci") (result i32) (call_indirect $t (type $s) (ref.null $s) (i32.const 0)))
          (func (export "cr") (result i32) (call_ref $s (global.get $g) (global.get $g)))
          (func (export "setgm") (global.set $gm (global.get $g)))
          (func (export "thr") (result i32)
            (block $h (result (ref null $s)) (try_table (catch $e $h) (throw $e (global.get $g))) (unreachable))
            (ref.as_non_null) (ref.null $s) (call_ref $s (ref.as_non_null (global.get $g))) (drop) (call_ref $s (global.get $g)) )
        )
        (assert_return (invoke "ci") (i32.const 1))
        (assert_return (invoke "cr") (i32.const 2))
        (invoke "setgm")
        ;; structurally equal but not iso-recursively equal: $u refers to the earlier $s
        (assert_unlinkable (module
          (type $s (func (param (ref null $s)) (result i32)))
          (type $u (func (param (ref null $s)) (result i32)))
          (import "A" "self" (func (type $u)))) "incompatible import type")
        (assert_unlinkable (module
          (type $s0 (func (param (ref null $s0)) (result i32)))
          (type $s (func (param (ref null $s0)) (result i32)))
          (import "A" "g" (global (ref $s)))) "incompatible import type")
        ;; global subtyping: immutable (ref $s) import as (ref null $s) ok, as funcref ok
        (module
          (type $s (func (param (ref null $s)) (result i32)))
          (import "A" "g" (global (ref null $s)))
          (import "A" "g" (global funcref))
          (import "A" "g" (global (ref func))))
        ;; mutable global: invariant
        (assert_unlinkable (module (import "A" "gm" (global (mut funcref)))) "incompatible import type")
        ;; table: invariant
        (assert_unlinkable (module (import "A" "t" (table 2 funcref))) "incompatible import type")
        ;; call_indirect across modules on a table of typed refs, signature mismatch
        (module $C
          (type $s (func (param (ref null $s)) (result i32)))
          (type $s0 (func (param (ref null $s0)) (result i32)))
          (type $u (func (param (ref null $s0)) (result i32)))
          (import "A" "t" (table $t 2 (ref null $s)))
          (table $f 1 funcref)
          (elem (table $f) (i32.const 0) func $h)
          (func $h (type $u) (i32.const 3))
          (func (export "ci_u") (result i32) (call_indirect $f (type $s) (ref.null $s) (i32.const 0)))
          (func (export "ci_ok") (result i32) (call_indirect $f (type $u) (ref.null $s0) (i32.const 0)))
          (func (export "ci_null") (result i32) (call_indirect $t (type $s) (ref.null $s) (i32.const 1))))
        (assert_trap (invoke "ci_u") "indirect call type mismatch")
        (assert_return (invoke "ci_ok") (i32.const 3))
        (assert_trap (invoke "ci_null") "uninitialized element")
        ;; multi-value call_ref inside try_table, callee throws
        (module
          (type $p (func (param i32 i32) (result i32 i32)))
          (tag $e (param i32))
          (func $swap (type $p) (local.get 1) (local.get 0))
          (func $boom (type $p) (throw $e (i32.add (local.get 0) (local.get 1))))
          (elem declare func $swap $boom)
          (func (export "sw") (result i32 i32) (call_ref $p (i32.const 1) (i32.const 2) (ref.func $swap)))
          (func (export "tt") (param i32) (result i32)
            (block $h (result i32)
              (try_table (result i32 i32) (catch $e $h)
                (call_ref $p (i32.const 10) (i32.const 20) (select (result (ref $p)) (ref.func $swap) (ref.func $boom) (local.get 0))))
              (i32.sub)))
          (func $rc (param i32 i32) (result i32 i32) (return_call_ref $p (local.get 0) (local.get 1) (ref.func $swap)))
          (func (export "rc") (result i32 i32) (call $rc (i32.const 5) (i32.const 6)))
          (func (export "rct") (result i32 i32) (block $h (try_table (catch_all $h) (return_call_ref $p (i32.const 7) (i32.const 8) (ref.func $boom)))) (i32.const -1) (i32.const -1))
        )
        (assert_return (invoke "sw") (i32.const 2) (i32.const 1))
        (assert_return (invoke "tt" (i32.const 1)) (i32.const 10))
        (assert_return (invoke "tt" (i32.const 0)) (i32.const 30))
        (assert_return (invoke "rc") (i32.const 6) (i32.const 5))
        (assert_exception (invoke "rct"))
        """";

    /// <summary>element segments of typed references, constant expressions, non-defaultable parameters, table initializers (imported globals only), typed select.</summary>
    private const string SegmentsAndInitializers = """"
        (assert_invalid (module (type $t (func)) (elem (ref $t) (ref.null $t))) "type mismatch")
        (assert_invalid (module (type $t (func)) (global $g (ref null $t) (ref.null $t)) (elem (ref $t) (global.get $g))) "type mismatch")
        (assert_invalid (module (type $t (func)) (type $u (func (param i32))) (func $f (type $u)) (elem (ref $t) (ref.func $f))) "type mismatch")
        (assert_invalid (module (type $t (func)) (type $u (func (param i32))) (func $f (type $t)) (table 1 (ref null $u)) (elem (table 0) (i32.const 0) (ref $t) (ref.func $f))) "type mismatch")
        (assert_invalid (module (type $t (func)) (func $f (type $t)) (global $g (mut (ref $t)) (ref.func $f)) (table 1 (ref $t) (global.get $g))) "constant expression required")
        (assert_invalid (module (type $t (func)) (func $f (type $t)) (table 1 (ref $t) (global.get 0)) (global (ref $t) (ref.func $f))) "unknown global")
        (assert_invalid (module (global i32 (global.get 1)) (global i32 (i32.const 0))) "unknown global")
        (assert_invalid (module (global i32 (global.get 0))) "unknown global")
        (assert_invalid (module (type $t (func)) (func $f (type $t)) (elem declare func $f) (global (ref $t) (ref.func $f)) (func (local $l (ref $t)) (local.get $l) (drop))) "uninitialized local")
        ;; non-defaultable params are fine
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 3)) (elem declare func $f)
          (func $g (param (ref $t)) (result i32) (call_ref $t (local.get 0)))
          (func (export "p") (result i32) (call $g (ref.func $f))))
        (assert_return (invoke "p") (i32.const 3))
        ;; a table's initializer sees only imported globals (spec 3.0 Module_ok: tables under C', whose globals are the imports)
        (assert_invalid (module (type $t (func (result i32))) (func $f (type $t) (i32.const 4))
          (global $g (ref $t) (ref.func $f))
          (table $tb 3 (ref $t) (global.get $g))) "unknown global")
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 4))
          (global $g (ref $t) (ref.func $f))
          (table $tb 3 (ref $t) (ref.func $f))
          (func (export "tg") (param i32) (result i32) (call_ref $t (table.get $tb (local.get 0))))
          (func (export "grow") (result i32) (table.grow $tb (global.get $g) (i32.const 2)))
          (func (export "size") (result i32) (table.size $tb)))
        (assert_return (invoke "tg" (i32.const 2)) (i32.const 4))
        (assert_return (invoke "grow") (i32.const 3))
        (assert_return (invoke "tg" (i32.const 4)) (i32.const 4))
        (assert_trap (invoke "tg" (i32.const 5)) "out of bounds table access")
        ;; ref.func of an imported function in a table initializer; typed select into a block
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 5)) (func $h (type $t) (i32.const 6)) (elem declare func $f $h)
          (func (export "sel") (param i32) (result i32) (call_ref $t (select (result (ref $t)) (ref.func $f) (ref.func $h) (local.get 0))))
          (func (export "eqnull") (result i32) (ref.is_null (ref.func $f))))
        (assert_return (invoke "sel" (i32.const 1)) (i32.const 5))
        (assert_return (invoke "sel" (i32.const 0)) (i32.const 6))
        (assert_return (invoke "eqnull") (i32.const 0))
        """";

    /// <summary>br_on_null and br_on_non_null with values below the label, out of try_table and legacy try (also from a catch), and to a loop with parameters.</summary>
    private const string BranchesOnNull = """"
        (module
          (type $t (func (result i32)))
          (func $seven (type $t) (i32.const 7))
          (elem declare func $seven)
          (tag $e)
          (func $pick (param i32) (result (ref null $t))
            (if (result (ref null $t)) (local.get 0) (then (ref.func $seven)) (else (ref.null $t))))
          (func (export "extra_null") (param i32) (result i64)
            (block $l (result i64)
              (i32.const 99) (i64.const 5) (call $pick (local.get 0))
              (br_on_null $l)
              (call_ref $t) (drop) (drop) (drop) (i64.const 100)))
          (func (export "extra_nonnull") (param i32) (result i32)
            (block $l (result i64 (ref $t))
              (f32.const 1) (i64.const 5) (call $pick (local.get 0))
              (br_on_non_null $l)
              (drop) (drop) (return (i32.const -1)))
            (call_ref $t) (i64.extend_i32_u) (i64.add) (i32.wrap_i64))
          (func (export "try_null") (param i32) (result i32)
            (block $l (result i32)
              (block $h
                (try_table (result i32) (catch_all $h)
                  (i32.const 11) (call $pick (local.get 0)) (br_on_null $l) (call_ref $t) (i32.add))
                (br $l))
              (i32.const -3)))
          (func (export "try_nonnull") (param i32) (result i32)
            (block $l (result (ref $t))
              (block $h
                (try_table (catch_all $h)
                  (call $pick (local.get 0)) (br_on_non_null $l) (throw $e)))
              (return (i32.const -2)))
            (call_ref $t))
          (func (export "legacy") (param i32) (result i32)
            (block $l (result (ref $t))
              (try
                (do (call $pick (local.get 0)) (br_on_non_null $l) (throw $e))
                (catch $e (call $pick (i32.const 1)) (br_on_non_null $l) (unreachable)))
              (unreachable))
            (call_ref $t))
        )
        (assert_return (invoke "extra_null" (i32.const 0)) (i64.const 5))
        (assert_return (invoke "extra_null" (i32.const 1)) (i64.const 100))
        (assert_return (invoke "extra_nonnull" (i32.const 1)) (i32.const 12))
        (assert_return (invoke "extra_nonnull" (i32.const 0)) (i32.const -1))
        (assert_return (invoke "try_null" (i32.const 0)) (i32.const 11))
        (assert_return (invoke "try_null" (i32.const 1)) (i32.const 18))
        (assert_return (invoke "try_nonnull" (i32.const 1)) (i32.const 7))
        (assert_return (invoke "try_nonnull" (i32.const 0)) (i32.const -2))
        (assert_return (invoke "legacy" (i32.const 1)) (i32.const 7))
        (assert_return (invoke "legacy" (i32.const 0)) (i32.const 7))
        (module
          (type $t (func (param i32) (result i32)))
          (func $dec (type $t) (i32.sub (local.get 0) (i32.const 1)))
          (elem declare func $dec)
          (func (export "loop") (param i32) (result i32)
            (local.get 0) (ref.func $dec)
            (loop $top (param i32 (ref $t)) (result i32)
              (call_ref $t)
              (local.tee 0)
              (if (param i32) (result i32) (i32.eqz (local.get 0)) (then (return)))
              (ref.func $dec) (br_on_non_null $top) (unreachable))))
        (assert_return (invoke "loop" (i32.const 5)) (i32.const 0))
        """";

    /// <summary>constant expressions reading globals (imported mutable: refused), data offsets, ref.func declared by table and global initializers.</summary>
    private const string ConstantExpressionsAndRefs = """"
        (module (global (export "gm") (mut i32) (i32.const 1)) (global (export "gi") i32 (i32.const 2)))
        (register "M")
        (assert_invalid (module (import "M" "gm" (global (mut i32))) (global i32 (global.get 0))) "constant expression required")
        (module (import "M" "gi" (global i32)) (global $a i32 (global.get 0)) (global i32 (i32.add (global.get $a) (global.get 0))))
        (assert_invalid (module (type $t (func)) (import "M" "gm" (global (mut i32))) (table 1 funcref (ref.null func)) (elem (table 0) (global.get 0) funcref)) "constant expression required")
        (assert_invalid (module (global $m (mut i32) (i32.const 0)) (memory 1) (data (global.get $m) "")) "constant expression required")
        (module (global $c i32 (i32.const 0)) (memory 1) (data (global.get $c) "x"))
        ;; ref.func declared by a table initializer
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 1))
          (table 1 (ref $t) (ref.func $f))
          (func (export "r") (result i32) (call_ref $t (ref.func $f))))
        (assert_return (invoke "r") (i32.const 1))
        ;; ref.func declared by a global initializer
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 2))
          (global funcref (ref.func $f))
          (func (export "r") (result i32) (call_ref $t (ref.func $f))))
        (assert_return (invoke "r") (i32.const 2))
        (assert_invalid (module (type $t (func (result i32))) (func $f (type $t) (i32.const 2))
          (func (export "r") (result i32) (call_ref $t (ref.func $f)))) "undeclared function reference")
        """";

    /// <summary>inline (elem ...) in typed tables, expression items.</summary>
    private const string InlineTableElements = """"
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 3)) (func $g (type $t) (i32.const 4))
          (table $tb (ref null $t) (elem $f $g))
          (func (export "c") (param i32) (result i32) (call_ref $t (table.get $tb (local.get 0)))))
        (assert_return (invoke "c" (i32.const 1)) (i32.const 4))
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 3))
          (table $tb (ref null $t) (elem (ref.func $f)))
          (func (export "c") (param i32) (result i32) (call_ref $t (table.get $tb (local.get 0)))))
        (assert_return (invoke "c" (i32.const 0)) (i32.const 3))
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 5))
          (table $tb 2 (ref null $t))
          (elem (table $tb) (offset (i32.const 1)) (ref null $t) (item ref.func $f))
          (func (export "c") (param i32) (result i32) (call_ref $t (table.get $tb (local.get 0)))))
        (assert_return (invoke "c" (i32.const 1)) (i32.const 5))
        """";

    /// <summary>call_ref, return_call_ref, ref.as_non_null, br_on_null and br_on_non_null in unreachable code are compiled (the function is called).</summary>
    private const string UnreachableCode = """"
        (module (type $t (func (result i32)))
          (func (export "u1") (result i32) (unreachable) (ref.as_non_null) (call_ref $t))
          (func (export "u2") (result i32) (block (result i32) (unreachable) (br_on_null 0) (drop)))
          (func (export "u3") (result i32) (block (result (ref $t)) (unreachable) (br_on_non_null 0) (unreachable)) (call_ref $t))
          (func (export "u4") (result i32) (unreachable) (return_call_ref $t))
          (func (export "u5") (result i32) (return (i32.const 1)) (br_on_null 0) (ref.as_non_null) (call_ref $t) (drop))
          (func (export "u6") (result i32) (block $l (result (ref null $t)) (br $l (ref.null $t)) (br_on_null $l) (drop)) (ref.is_null))
          (func (export "u7") (result i32) (i32.const 3) (block $l (param i32) (result i32) (ref.null $t) (br_on_null $l) (unreachable)))
        )
        (assert_trap (invoke "u1") "unreachable")
        (assert_trap (invoke "u2") "unreachable")
        (assert_trap (invoke "u3") "unreachable")
        (assert_trap (invoke "u4") "unreachable")
        (assert_return (invoke "u5") (i32.const 1))
        (assert_return (invoke "u6") (i32.const 1))
        (assert_return (invoke "u7") (i32.const 3))
        """";

    /// <summary>table.init and table.copy between funcref and typed tables.</summary>
    private const string TableOperations = """"
        (assert_invalid (module (type $t (func)) (func $f (type $t)) (table 1 (ref null $t)) (elem $e func $f)
          (func (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 1)))) "type mismatch")
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 8)) (table 1 (ref null $t)) (elem $e (ref $t) (ref.func $f))
          (func (export "i") (result i32) (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 1)) (call_ref $t (table.get 0 (i32.const 0)))))
        (assert_return (invoke "i") (i32.const 8))
        (assert_invalid (module (type $t (func)) (table $a 1 funcref) (table $b 1 (ref null $t))
          (func (table.copy $b $a (i32.const 0) (i32.const 0) (i32.const 1)))) "type mismatch")
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 9)) (table $a 1 funcref) (table $b 1 (ref $t) (ref.func $f))
          (func (export "c") (result i32) (table.copy $a $b (i32.const 0) (i32.const 0) (i32.const 1)) (call_indirect $a (type $t) (i32.const 0))))
        (assert_return (invoke "c") (i32.const 9))
        """";

    /// <summary>catch and catch_ref with typed payloads: subtyping between the tag's parameters and the label.</summary>
    private const string CatchClausesWithTypedPayloads = """"
        (module (type $t (func (result i32))) (func $f (type $t) (i32.const 21)) (elem declare func $f)
          (tag $e (param (ref $t)))
          (func (export "c") (result i32)
            (block $l (result (ref null $t))
              (try_table (catch $e $l) (throw $e (ref.func $f)))
              (ref.null $t))
            (call_ref $t))
          (func (export "cr") (result i32)
            (block $l (result funcref exnref)
              (try_table (catch_ref $e $l) (throw $e (ref.func $f)))
              (unreachable))
            (drop) (drop) (i32.const 1)))
        (assert_return (invoke "c") (i32.const 21))
        (assert_return (invoke "cr") (i32.const 1))
        (assert_invalid (module (type $t (func)) (tag $e (param (ref null $t)))
          (func (block $l (result (ref $t)) (try_table (catch $e $l) (nop)) (unreachable)) (drop))) "type mismatch")
        (assert_invalid (module (type $t (func)) (tag $e (param (ref null $t)))
          (func (block $l (result (ref $t) (ref exn)) (try_table (catch_ref $e $l) (nop)) (unreachable)) (drop) (drop))) "type mismatch")
        (module (type $t (func)) (tag $e (param (ref null $t)))
          (func (block $l (result (ref null $t) (ref exn)) (try_table (catch_ref $e $l) (nop)) (unreachable)) (drop) (drop)))
        """";

    /// <summary>non-defaultable locals: reads in unreachable code, sets in unreachable code, blocks left by br_if, nested blocks, parameters.</summary>
    private const string LocalInitialisation = """"
        (assert_invalid (module (type $t (func)) (func (local $x (ref $t)) (unreachable) (drop (local.get $x)))) "uninitialized local")
        (module (type $t (func)) (func (local $x (ref $t)) (unreachable) (local.set $x) (drop (local.get $x))))
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f)
          (func (local $x (ref $t)) (block (local.set $x (ref.func $f))) (drop (local.get $x)))) "uninitialized local")
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f)
          (func (param i32) (local $x (ref $t)) (block (br_if 0 (local.get 0)) (local.set $x (ref.func $f))) (drop (local.get $x)))) "uninitialized local")
        (module (type $t (func)) (func $f) (elem declare func $f)
          (func (local $x (ref $t)) (local $y (ref $t)) (local.set $y (ref.func $f)) (block (local.set $x (local.get $y)) (drop (local.get $x))) (drop (local.get $y))))
        (assert_invalid (module (type $t (func)) (func $f) (elem declare func $f)
          (func (local $x (ref $t)) (block (local.set $x (ref.func $f)) (drop (local.get $x))) (drop (local.get $x)))) "uninitialized local")
        (module (type $t (func)) (func (param $p (ref $t)) (local $n (ref null $t)) (drop (local.get $p)) (drop (local.get $n))))
        """";

    [Theory]
    [InlineData(nameof(CatchClausesWithTypedPayloads), CatchClausesWithTypedPayloads, 6)]
    [InlineData(nameof(LocalInitialisation), LocalInitialisation, 7)]
    [InlineData(nameof(ValidationCornerCases), ValidationCornerCases, 44)]
    [InlineData(nameof(CrossModuleTypes), CrossModuleTypes, 21)]
    [InlineData(nameof(SegmentsAndInitializers), SegmentsAndInitializers, 21)]
    [InlineData(nameof(BranchesOnNull), BranchesOnNull, 13)]
    [InlineData(nameof(ConstantExpressionsAndRefs), ConstantExpressionsAndRefs, 12)]
    [InlineData(nameof(InlineTableElements), InlineTableElements, 6)]
    [InlineData(nameof(UnreachableCode), UnreachableCode, 8)]
    [InlineData(nameof(TableOperations), TableOperations, 6)]
    public void TheScriptPasses(string name, string script, int commands)
    {
        var result = WastRunner.RunText(script, name + ".wast");
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.Skipped);
        Assert.Equal(commands, result.Passed);
    }
}
