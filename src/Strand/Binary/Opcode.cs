namespace Strand.Binary;

/// <summary>
/// Every opcode Strand decodes. Single-byte opcodes use their byte; prefixed ones are
/// 0xFC00 | sub (bulk memory, saturating truncation, tables), 0xFD00 | sub (SIMD), 0xFF00 | (sub - 0x100)
/// (relaxed SIMD, sub-opcodes 0x100..0x113) and 0xFE00 | sub (threads).
/// The opcodes of WebAssembly 3.0 features Strand does not implement (GC 0xFB, exception
/// handling, tail calls, typed function references) are recognised only to be reported as not supported.
/// </summary>
public enum Opcode : ushort
{
    /// <summary>
    /// Marks an instruction of a feature Strand does not implement, decoded (immediates skipped) only while
    /// <see cref="ModuleDecoder.DecodeForAnalysis"/> tolerates such constructs; never reaches validation or compilation.
    /// </summary>
    NotSupported = 0xFFFF,

    // ---- exception handling and tail calls (WebAssembly 3.0); implemented in Compilation/FunctionCompiler.Exceptions.cs and .TailCalls.cs

    /// <summary>The legacy <c>try</c> instruction (exception handling, what clang -fwasm-exceptions emits); binary opcode 0x06.</summary>
    Try = 0x06,
    /// <summary>The legacy <c>catch</c> clause of a <c>try</c>; binary opcode 0x07.</summary>
    Catch = 0x07,
    /// <summary>The <c>throw</c> instruction; binary opcode 0x08.</summary>
    Throw = 0x08,
    /// <summary>The legacy <c>rethrow</c> instruction; binary opcode 0x09.</summary>
    Rethrow = 0x09,
    /// <summary>The <c>throw_ref</c> instruction; binary opcode 0x0A.</summary>
    ThrowRef = 0x0A,
    /// <summary>The <c>return_call</c> instruction (tail calls); binary opcode 0x12.</summary>
    ReturnCall = 0x12,
    /// <summary>The <c>return_call_indirect</c> instruction (tail calls); binary opcode 0x13.</summary>
    ReturnCallIndirect = 0x13,
    /// <summary>The <c>call_ref</c> instruction (typed function references); binary opcode 0x14.</summary>
    CallRef = 0x14,
    /// <summary>The <c>return_call_ref</c> instruction (typed function references, tail calls); binary opcode 0x15.</summary>
    ReturnCallRef = 0x15,
    /// <summary>The legacy <c>delegate</c> end of a <c>try</c>; binary opcode 0x18.</summary>
    Delegate = 0x18,
    /// <summary>The legacy <c>catch_all</c> clause of a <c>try</c>; binary opcode 0x19.</summary>
    CatchAll = 0x19,
    /// <summary>The <c>try_table</c> instruction with its catch clauses; binary opcode 0x1F.</summary>
    TryTable = 0x1F,
    /// <summary>The <c>unreachable</c> instruction; binary opcode 0x00.</summary>
    Unreachable = 0x00,
    /// <summary>The <c>nop</c> instruction; binary opcode 0x01.</summary>
    Nop = 0x01,
    /// <summary>The <c>block</c> instruction; binary opcode 0x02.</summary>
    Block = 0x02,
    /// <summary>The <c>loop</c> instruction; binary opcode 0x03.</summary>
    Loop = 0x03,
    /// <summary>The <c>if</c> instruction; binary opcode 0x04.</summary>
    If = 0x04,
    /// <summary>The <c>else</c> delimiter of an <c>if</c> block; binary opcode 0x05.</summary>
    Else = 0x05,
    /// <summary>The <c>end</c> delimiter of a block, loop, if or function body; binary opcode 0x0B.</summary>
    End = 0x0B,
    /// <summary>The <c>br</c> instruction; binary opcode 0x0C.</summary>
    Br = 0x0C,
    /// <summary>The <c>br_if</c> instruction; binary opcode 0x0D.</summary>
    BrIf = 0x0D,
    /// <summary>The <c>br_table</c> instruction; binary opcode 0x0E.</summary>
    BrTable = 0x0E,
    /// <summary>The <c>return</c> instruction; binary opcode 0x0F.</summary>
    Return = 0x0F,
    /// <summary>The <c>call</c> instruction; binary opcode 0x10.</summary>
    Call = 0x10,
    /// <summary>The <c>call_indirect</c> instruction; binary opcode 0x11.</summary>
    CallIndirect = 0x11,
    /// <summary>The <c>drop</c> instruction; binary opcode 0x1A.</summary>
    Drop = 0x1A,
    /// <summary>The <c>select</c> instruction; binary opcode 0x1B.</summary>
    Select = 0x1B,
    /// <summary>The <c>select t*</c> instruction with an explicit result type (reference types); binary opcode 0x1C.</summary>
    SelectTyped = 0x1C,
    /// <summary>The <c>local.get</c> instruction; binary opcode 0x20.</summary>
    LocalGet = 0x20,
    /// <summary>The <c>local.set</c> instruction; binary opcode 0x21.</summary>
    LocalSet = 0x21,
    /// <summary>The <c>local.tee</c> instruction; binary opcode 0x22.</summary>
    LocalTee = 0x22,
    /// <summary>The <c>global.get</c> instruction; binary opcode 0x23.</summary>
    GlobalGet = 0x23,
    /// <summary>The <c>global.set</c> instruction; binary opcode 0x24.</summary>
    GlobalSet = 0x24,
    /// <summary>The <c>table.get</c> instruction; binary opcode 0x25.</summary>
    TableGet = 0x25,
    /// <summary>The <c>table.set</c> instruction; binary opcode 0x26.</summary>
    TableSet = 0x26,
    /// <summary>The <c>i32.load</c> instruction; binary opcode 0x28.</summary>
    I32Load = 0x28,
    /// <summary>The <c>i64.load</c> instruction; binary opcode 0x29.</summary>
    I64Load = 0x29,
    /// <summary>The <c>f32.load</c> instruction; binary opcode 0x2A.</summary>
    F32Load = 0x2A,
    /// <summary>The <c>f64.load</c> instruction; binary opcode 0x2B.</summary>
    F64Load = 0x2B,
    /// <summary>The <c>i32.load8_s</c> instruction; binary opcode 0x2C.</summary>
    I32Load8S = 0x2C,
    /// <summary>The <c>i32.load8_u</c> instruction; binary opcode 0x2D.</summary>
    I32Load8U = 0x2D,
    /// <summary>The <c>i32.load16_s</c> instruction; binary opcode 0x2E.</summary>
    I32Load16S = 0x2E,
    /// <summary>The <c>i32.load16_u</c> instruction; binary opcode 0x2F.</summary>
    I32Load16U = 0x2F,
    /// <summary>The <c>i64.load8_s</c> instruction; binary opcode 0x30.</summary>
    I64Load8S = 0x30,
    /// <summary>The <c>i64.load8_u</c> instruction; binary opcode 0x31.</summary>
    I64Load8U = 0x31,
    /// <summary>The <c>i64.load16_s</c> instruction; binary opcode 0x32.</summary>
    I64Load16S = 0x32,
    /// <summary>The <c>i64.load16_u</c> instruction; binary opcode 0x33.</summary>
    I64Load16U = 0x33,
    /// <summary>The <c>i64.load32_s</c> instruction; binary opcode 0x34.</summary>
    I64Load32S = 0x34,
    /// <summary>The <c>i64.load32_u</c> instruction; binary opcode 0x35.</summary>
    I64Load32U = 0x35,
    /// <summary>The <c>i32.store</c> instruction; binary opcode 0x36.</summary>
    I32Store = 0x36,
    /// <summary>The <c>i64.store</c> instruction; binary opcode 0x37.</summary>
    I64Store = 0x37,
    /// <summary>The <c>f32.store</c> instruction; binary opcode 0x38.</summary>
    F32Store = 0x38,
    /// <summary>The <c>f64.store</c> instruction; binary opcode 0x39.</summary>
    F64Store = 0x39,
    /// <summary>The <c>i32.store8</c> instruction; binary opcode 0x3A.</summary>
    I32Store8 = 0x3A,
    /// <summary>The <c>i32.store16</c> instruction; binary opcode 0x3B.</summary>
    I32Store16 = 0x3B,
    /// <summary>The <c>i64.store8</c> instruction; binary opcode 0x3C.</summary>
    I64Store8 = 0x3C,
    /// <summary>The <c>i64.store16</c> instruction; binary opcode 0x3D.</summary>
    I64Store16 = 0x3D,
    /// <summary>The <c>i64.store32</c> instruction; binary opcode 0x3E.</summary>
    I64Store32 = 0x3E,
    /// <summary>The <c>memory.size</c> instruction; binary opcode 0x3F.</summary>
    MemorySize = 0x3F,
    /// <summary>The <c>memory.grow</c> instruction; binary opcode 0x40.</summary>
    MemoryGrow = 0x40,
    /// <summary>The <c>i32.const</c> instruction; binary opcode 0x41.</summary>
    I32Const = 0x41,
    /// <summary>The <c>i64.const</c> instruction; binary opcode 0x42.</summary>
    I64Const = 0x42,
    /// <summary>The <c>f32.const</c> instruction; binary opcode 0x43.</summary>
    F32Const = 0x43,
    /// <summary>The <c>f64.const</c> instruction; binary opcode 0x44.</summary>
    F64Const = 0x44,
    /// <summary>The <c>i32.eqz</c> instruction; binary opcode 0x45.</summary>
    I32Eqz = 0x45,
    /// <summary>The <c>i32.eq</c> instruction; binary opcode 0x46.</summary>
    I32Eq = 0x46,
    /// <summary>The <c>i32.ne</c> instruction; binary opcode 0x47.</summary>
    I32Ne = 0x47,
    /// <summary>The <c>i32.lt_s</c> instruction; binary opcode 0x48.</summary>
    I32LtS = 0x48,
    /// <summary>The <c>i32.lt_u</c> instruction; binary opcode 0x49.</summary>
    I32LtU = 0x49,
    /// <summary>The <c>i32.gt_s</c> instruction; binary opcode 0x4A.</summary>
    I32GtS = 0x4A,
    /// <summary>The <c>i32.gt_u</c> instruction; binary opcode 0x4B.</summary>
    I32GtU = 0x4B,
    /// <summary>The <c>i32.le_s</c> instruction; binary opcode 0x4C.</summary>
    I32LeS = 0x4C,
    /// <summary>The <c>i32.le_u</c> instruction; binary opcode 0x4D.</summary>
    I32LeU = 0x4D,
    /// <summary>The <c>i32.ge_s</c> instruction; binary opcode 0x4E.</summary>
    I32GeS = 0x4E,
    /// <summary>The <c>i32.ge_u</c> instruction; binary opcode 0x4F.</summary>
    I32GeU = 0x4F,
    /// <summary>The <c>i64.eqz</c> instruction; binary opcode 0x50.</summary>
    I64Eqz = 0x50,
    /// <summary>The <c>i64.eq</c> instruction; binary opcode 0x51.</summary>
    I64Eq = 0x51,
    /// <summary>The <c>i64.ne</c> instruction; binary opcode 0x52.</summary>
    I64Ne = 0x52,
    /// <summary>The <c>i64.lt_s</c> instruction; binary opcode 0x53.</summary>
    I64LtS = 0x53,
    /// <summary>The <c>i64.lt_u</c> instruction; binary opcode 0x54.</summary>
    I64LtU = 0x54,
    /// <summary>The <c>i64.gt_s</c> instruction; binary opcode 0x55.</summary>
    I64GtS = 0x55,
    /// <summary>The <c>i64.gt_u</c> instruction; binary opcode 0x56.</summary>
    I64GtU = 0x56,
    /// <summary>The <c>i64.le_s</c> instruction; binary opcode 0x57.</summary>
    I64LeS = 0x57,
    /// <summary>The <c>i64.le_u</c> instruction; binary opcode 0x58.</summary>
    I64LeU = 0x58,
    /// <summary>The <c>i64.ge_s</c> instruction; binary opcode 0x59.</summary>
    I64GeS = 0x59,
    /// <summary>The <c>i64.ge_u</c> instruction; binary opcode 0x5A.</summary>
    I64GeU = 0x5A,
    /// <summary>The <c>f32.eq</c> instruction; binary opcode 0x5B.</summary>
    F32Eq = 0x5B,
    /// <summary>The <c>f32.ne</c> instruction; binary opcode 0x5C.</summary>
    F32Ne = 0x5C,
    /// <summary>The <c>f32.lt</c> instruction; binary opcode 0x5D.</summary>
    F32Lt = 0x5D,
    /// <summary>The <c>f32.gt</c> instruction; binary opcode 0x5E.</summary>
    F32Gt = 0x5E,
    /// <summary>The <c>f32.le</c> instruction; binary opcode 0x5F.</summary>
    F32Le = 0x5F,
    /// <summary>The <c>f32.ge</c> instruction; binary opcode 0x60.</summary>
    F32Ge = 0x60,
    /// <summary>The <c>f64.eq</c> instruction; binary opcode 0x61.</summary>
    F64Eq = 0x61,
    /// <summary>The <c>f64.ne</c> instruction; binary opcode 0x62.</summary>
    F64Ne = 0x62,
    /// <summary>The <c>f64.lt</c> instruction; binary opcode 0x63.</summary>
    F64Lt = 0x63,
    /// <summary>The <c>f64.gt</c> instruction; binary opcode 0x64.</summary>
    F64Gt = 0x64,
    /// <summary>The <c>f64.le</c> instruction; binary opcode 0x65.</summary>
    F64Le = 0x65,
    /// <summary>The <c>f64.ge</c> instruction; binary opcode 0x66.</summary>
    F64Ge = 0x66,
    /// <summary>The <c>i32.clz</c> instruction; binary opcode 0x67.</summary>
    I32Clz = 0x67,
    /// <summary>The <c>i32.ctz</c> instruction; binary opcode 0x68.</summary>
    I32Ctz = 0x68,
    /// <summary>The <c>i32.popcnt</c> instruction; binary opcode 0x69.</summary>
    I32Popcnt = 0x69,
    /// <summary>The <c>i32.add</c> instruction; binary opcode 0x6A.</summary>
    I32Add = 0x6A,
    /// <summary>The <c>i32.sub</c> instruction; binary opcode 0x6B.</summary>
    I32Sub = 0x6B,
    /// <summary>The <c>i32.mul</c> instruction; binary opcode 0x6C.</summary>
    I32Mul = 0x6C,
    /// <summary>The <c>i32.div_s</c> instruction; binary opcode 0x6D.</summary>
    I32DivS = 0x6D,
    /// <summary>The <c>i32.div_u</c> instruction; binary opcode 0x6E.</summary>
    I32DivU = 0x6E,
    /// <summary>The <c>i32.rem_s</c> instruction; binary opcode 0x6F.</summary>
    I32RemS = 0x6F,
    /// <summary>The <c>i32.rem_u</c> instruction; binary opcode 0x70.</summary>
    I32RemU = 0x70,
    /// <summary>The <c>i32.and</c> instruction; binary opcode 0x71.</summary>
    I32And = 0x71,
    /// <summary>The <c>i32.or</c> instruction; binary opcode 0x72.</summary>
    I32Or = 0x72,
    /// <summary>The <c>i32.xor</c> instruction; binary opcode 0x73.</summary>
    I32Xor = 0x73,
    /// <summary>The <c>i32.shl</c> instruction; binary opcode 0x74.</summary>
    I32Shl = 0x74,
    /// <summary>The <c>i32.shr_s</c> instruction; binary opcode 0x75.</summary>
    I32ShrS = 0x75,
    /// <summary>The <c>i32.shr_u</c> instruction; binary opcode 0x76.</summary>
    I32ShrU = 0x76,
    /// <summary>The <c>i32.rotl</c> instruction; binary opcode 0x77.</summary>
    I32Rotl = 0x77,
    /// <summary>The <c>i32.rotr</c> instruction; binary opcode 0x78.</summary>
    I32Rotr = 0x78,
    /// <summary>The <c>i64.clz</c> instruction; binary opcode 0x79.</summary>
    I64Clz = 0x79,
    /// <summary>The <c>i64.ctz</c> instruction; binary opcode 0x7A.</summary>
    I64Ctz = 0x7A,
    /// <summary>The <c>i64.popcnt</c> instruction; binary opcode 0x7B.</summary>
    I64Popcnt = 0x7B,
    /// <summary>The <c>i64.add</c> instruction; binary opcode 0x7C.</summary>
    I64Add = 0x7C,
    /// <summary>The <c>i64.sub</c> instruction; binary opcode 0x7D.</summary>
    I64Sub = 0x7D,
    /// <summary>The <c>i64.mul</c> instruction; binary opcode 0x7E.</summary>
    I64Mul = 0x7E,
    /// <summary>The <c>i64.div_s</c> instruction; binary opcode 0x7F.</summary>
    I64DivS = 0x7F,
    /// <summary>The <c>i64.div_u</c> instruction; binary opcode 0x80.</summary>
    I64DivU = 0x80,
    /// <summary>The <c>i64.rem_s</c> instruction; binary opcode 0x81.</summary>
    I64RemS = 0x81,
    /// <summary>The <c>i64.rem_u</c> instruction; binary opcode 0x82.</summary>
    I64RemU = 0x82,
    /// <summary>The <c>i64.and</c> instruction; binary opcode 0x83.</summary>
    I64And = 0x83,
    /// <summary>The <c>i64.or</c> instruction; binary opcode 0x84.</summary>
    I64Or = 0x84,
    /// <summary>The <c>i64.xor</c> instruction; binary opcode 0x85.</summary>
    I64Xor = 0x85,
    /// <summary>The <c>i64.shl</c> instruction; binary opcode 0x86.</summary>
    I64Shl = 0x86,
    /// <summary>The <c>i64.shr_s</c> instruction; binary opcode 0x87.</summary>
    I64ShrS = 0x87,
    /// <summary>The <c>i64.shr_u</c> instruction; binary opcode 0x88.</summary>
    I64ShrU = 0x88,
    /// <summary>The <c>i64.rotl</c> instruction; binary opcode 0x89.</summary>
    I64Rotl = 0x89,
    /// <summary>The <c>i64.rotr</c> instruction; binary opcode 0x8A.</summary>
    I64Rotr = 0x8A,
    /// <summary>The <c>f32.abs</c> instruction; binary opcode 0x8B.</summary>
    F32Abs = 0x8B,
    /// <summary>The <c>f32.neg</c> instruction; binary opcode 0x8C.</summary>
    F32Neg = 0x8C,
    /// <summary>The <c>f32.ceil</c> instruction; binary opcode 0x8D.</summary>
    F32Ceil = 0x8D,
    /// <summary>The <c>f32.floor</c> instruction; binary opcode 0x8E.</summary>
    F32Floor = 0x8E,
    /// <summary>The <c>f32.trunc</c> instruction; binary opcode 0x8F.</summary>
    F32Trunc = 0x8F,
    /// <summary>The <c>f32.nearest</c> instruction; binary opcode 0x90.</summary>
    F32Nearest = 0x90,
    /// <summary>The <c>f32.sqrt</c> instruction; binary opcode 0x91.</summary>
    F32Sqrt = 0x91,
    /// <summary>The <c>f32.add</c> instruction; binary opcode 0x92.</summary>
    F32Add = 0x92,
    /// <summary>The <c>f32.sub</c> instruction; binary opcode 0x93.</summary>
    F32Sub = 0x93,
    /// <summary>The <c>f32.mul</c> instruction; binary opcode 0x94.</summary>
    F32Mul = 0x94,
    /// <summary>The <c>f32.div</c> instruction; binary opcode 0x95.</summary>
    F32Div = 0x95,
    /// <summary>The <c>f32.min</c> instruction; binary opcode 0x96.</summary>
    F32Min = 0x96,
    /// <summary>The <c>f32.max</c> instruction; binary opcode 0x97.</summary>
    F32Max = 0x97,
    /// <summary>The <c>f32.copysign</c> instruction; binary opcode 0x98.</summary>
    F32Copysign = 0x98,
    /// <summary>The <c>f64.abs</c> instruction; binary opcode 0x99.</summary>
    F64Abs = 0x99,
    /// <summary>The <c>f64.neg</c> instruction; binary opcode 0x9A.</summary>
    F64Neg = 0x9A,
    /// <summary>The <c>f64.ceil</c> instruction; binary opcode 0x9B.</summary>
    F64Ceil = 0x9B,
    /// <summary>The <c>f64.floor</c> instruction; binary opcode 0x9C.</summary>
    F64Floor = 0x9C,
    /// <summary>The <c>f64.trunc</c> instruction; binary opcode 0x9D.</summary>
    F64Trunc = 0x9D,
    /// <summary>The <c>f64.nearest</c> instruction; binary opcode 0x9E.</summary>
    F64Nearest = 0x9E,
    /// <summary>The <c>f64.sqrt</c> instruction; binary opcode 0x9F.</summary>
    F64Sqrt = 0x9F,
    /// <summary>The <c>f64.add</c> instruction; binary opcode 0xA0.</summary>
    F64Add = 0xA0,
    /// <summary>The <c>f64.sub</c> instruction; binary opcode 0xA1.</summary>
    F64Sub = 0xA1,
    /// <summary>The <c>f64.mul</c> instruction; binary opcode 0xA2.</summary>
    F64Mul = 0xA2,
    /// <summary>The <c>f64.div</c> instruction; binary opcode 0xA3.</summary>
    F64Div = 0xA3,
    /// <summary>The <c>f64.min</c> instruction; binary opcode 0xA4.</summary>
    F64Min = 0xA4,
    /// <summary>The <c>f64.max</c> instruction; binary opcode 0xA5.</summary>
    F64Max = 0xA5,
    /// <summary>The <c>f64.copysign</c> instruction; binary opcode 0xA6.</summary>
    F64Copysign = 0xA6,
    /// <summary>The <c>i32.wrap_i64</c> instruction; binary opcode 0xA7.</summary>
    I32WrapI64 = 0xA7,
    /// <summary>The <c>i32.trunc_f32_s</c> instruction; binary opcode 0xA8.</summary>
    I32TruncF32S = 0xA8,
    /// <summary>The <c>i32.trunc_f32_u</c> instruction; binary opcode 0xA9.</summary>
    I32TruncF32U = 0xA9,
    /// <summary>The <c>i32.trunc_f64_s</c> instruction; binary opcode 0xAA.</summary>
    I32TruncF64S = 0xAA,
    /// <summary>The <c>i32.trunc_f64_u</c> instruction; binary opcode 0xAB.</summary>
    I32TruncF64U = 0xAB,
    /// <summary>The <c>i64.extend_i32_s</c> instruction; binary opcode 0xAC.</summary>
    I64ExtendI32S = 0xAC,
    /// <summary>The <c>i64.extend_i32_u</c> instruction; binary opcode 0xAD.</summary>
    I64ExtendI32U = 0xAD,
    /// <summary>The <c>i64.trunc_f32_s</c> instruction; binary opcode 0xAE.</summary>
    I64TruncF32S = 0xAE,
    /// <summary>The <c>i64.trunc_f32_u</c> instruction; binary opcode 0xAF.</summary>
    I64TruncF32U = 0xAF,
    /// <summary>The <c>i64.trunc_f64_s</c> instruction; binary opcode 0xB0.</summary>
    I64TruncF64S = 0xB0,
    /// <summary>The <c>i64.trunc_f64_u</c> instruction; binary opcode 0xB1.</summary>
    I64TruncF64U = 0xB1,
    /// <summary>The <c>f32.convert_i32_s</c> instruction; binary opcode 0xB2.</summary>
    F32ConvertI32S = 0xB2,
    /// <summary>The <c>f32.convert_i32_u</c> instruction; binary opcode 0xB3.</summary>
    F32ConvertI32U = 0xB3,
    /// <summary>The <c>f32.convert_i64_s</c> instruction; binary opcode 0xB4.</summary>
    F32ConvertI64S = 0xB4,
    /// <summary>The <c>f32.convert_i64_u</c> instruction; binary opcode 0xB5.</summary>
    F32ConvertI64U = 0xB5,
    /// <summary>The <c>f32.demote_f64</c> instruction; binary opcode 0xB6.</summary>
    F32DemoteF64 = 0xB6,
    /// <summary>The <c>f64.convert_i32_s</c> instruction; binary opcode 0xB7.</summary>
    F64ConvertI32S = 0xB7,
    /// <summary>The <c>f64.convert_i32_u</c> instruction; binary opcode 0xB8.</summary>
    F64ConvertI32U = 0xB8,
    /// <summary>The <c>f64.convert_i64_s</c> instruction; binary opcode 0xB9.</summary>
    F64ConvertI64S = 0xB9,
    /// <summary>The <c>f64.convert_i64_u</c> instruction; binary opcode 0xBA.</summary>
    F64ConvertI64U = 0xBA,
    /// <summary>The <c>f64.promote_f32</c> instruction; binary opcode 0xBB.</summary>
    F64PromoteF32 = 0xBB,
    /// <summary>The <c>i32.reinterpret_f32</c> instruction; binary opcode 0xBC.</summary>
    I32ReinterpretF32 = 0xBC,
    /// <summary>The <c>i64.reinterpret_f64</c> instruction; binary opcode 0xBD.</summary>
    I64ReinterpretF64 = 0xBD,
    /// <summary>The <c>f32.reinterpret_i32</c> instruction; binary opcode 0xBE.</summary>
    F32ReinterpretI32 = 0xBE,
    /// <summary>The <c>f64.reinterpret_i64</c> instruction; binary opcode 0xBF.</summary>
    F64ReinterpretI64 = 0xBF,
    /// <summary>The <c>i32.extend8_s</c> instruction; binary opcode 0xC0.</summary>
    I32Extend8S = 0xC0,
    /// <summary>The <c>i32.extend16_s</c> instruction; binary opcode 0xC1.</summary>
    I32Extend16S = 0xC1,
    /// <summary>The <c>i64.extend8_s</c> instruction; binary opcode 0xC2.</summary>
    I64Extend8S = 0xC2,
    /// <summary>The <c>i64.extend16_s</c> instruction; binary opcode 0xC3.</summary>
    I64Extend16S = 0xC3,
    /// <summary>The <c>i64.extend32_s</c> instruction; binary opcode 0xC4.</summary>
    I64Extend32S = 0xC4,
    /// <summary>The <c>ref.null</c> instruction; binary opcode 0xD0.</summary>
    RefNull = 0xD0,
    /// <summary>The <c>ref.is_null</c> instruction; binary opcode 0xD1.</summary>
    RefIsNull = 0xD1,
    /// <summary>The <c>ref.func</c> instruction; binary opcode 0xD2.</summary>
    RefFunc = 0xD2,
    /// <summary>The <c>ref.as_non_null</c> instruction (typed function references); binary opcode 0xD4.</summary>
    RefAsNonNull = 0xD4,
    /// <summary>The <c>br_on_null</c> instruction (typed function references); binary opcode 0xD5.</summary>
    BrOnNull = 0xD5,
    /// <summary>The <c>br_on_non_null</c> instruction (typed function references); binary opcode 0xD6.</summary>
    BrOnNonNull = 0xD6,
    /// <summary>The <c>ref.eq</c> instruction (GC); binary opcode 0xD3.</summary>
    RefEq = 0xD3,

    // 0xFB prefix (GC)
    /// <summary>The <c>struct.new</c> instruction (GC); binary encoding 0xFB 0.</summary>
    StructNew = 0xFB00,
    /// <summary>The <c>struct.new_default</c> instruction (GC); binary encoding 0xFB 1.</summary>
    StructNewDefault = 0xFB01,
    /// <summary>The <c>struct.get</c> instruction (GC); binary encoding 0xFB 2.</summary>
    StructGet = 0xFB02,
    /// <summary>The <c>struct.get_s</c> instruction (GC); binary encoding 0xFB 3.</summary>
    StructGetS = 0xFB03,
    /// <summary>The <c>struct.get_u</c> instruction (GC); binary encoding 0xFB 4.</summary>
    StructGetU = 0xFB04,
    /// <summary>The <c>struct.set</c> instruction (GC); binary encoding 0xFB 5.</summary>
    StructSet = 0xFB05,
    /// <summary>The <c>array.new</c> instruction (GC); binary encoding 0xFB 6.</summary>
    ArrayNew = 0xFB06,
    /// <summary>The <c>array.new_default</c> instruction (GC); binary encoding 0xFB 7.</summary>
    ArrayNewDefault = 0xFB07,
    /// <summary>The <c>array.new_fixed</c> instruction (GC); binary encoding 0xFB 8.</summary>
    ArrayNewFixed = 0xFB08,
    /// <summary>The <c>array.new_data</c> instruction (GC); binary encoding 0xFB 9.</summary>
    ArrayNewData = 0xFB09,
    /// <summary>The <c>array.new_elem</c> instruction (GC); binary encoding 0xFB 10.</summary>
    ArrayNewElem = 0xFB0A,
    /// <summary>The <c>array.get</c> instruction (GC); binary encoding 0xFB 11.</summary>
    ArrayGet = 0xFB0B,
    /// <summary>The <c>array.get_s</c> instruction (GC); binary encoding 0xFB 12.</summary>
    ArrayGetS = 0xFB0C,
    /// <summary>The <c>array.get_u</c> instruction (GC); binary encoding 0xFB 13.</summary>
    ArrayGetU = 0xFB0D,
    /// <summary>The <c>array.set</c> instruction (GC); binary encoding 0xFB 14.</summary>
    ArraySet = 0xFB0E,
    /// <summary>The <c>array.len</c> instruction (GC); binary encoding 0xFB 15.</summary>
    ArrayLen = 0xFB0F,
    /// <summary>The <c>array.fill</c> instruction (GC); binary encoding 0xFB 16.</summary>
    ArrayFill = 0xFB10,
    /// <summary>The <c>array.copy</c> instruction (GC); binary encoding 0xFB 17.</summary>
    ArrayCopy = 0xFB11,
    /// <summary>The <c>array.init_data</c> instruction (GC); binary encoding 0xFB 18.</summary>
    ArrayInitData = 0xFB12,
    /// <summary>The <c>array.init_elem</c> instruction (GC); binary encoding 0xFB 19.</summary>
    ArrayInitElem = 0xFB13,
    /// <summary>The <c>ref.test</c> instruction (GC); binary encoding 0xFB 20.</summary>
    RefTest = 0xFB14,
    /// <summary>The <c>ref.test null</c> instruction (GC); binary encoding 0xFB 21.</summary>
    RefTestNull = 0xFB15,
    /// <summary>The <c>ref.cast</c> instruction (GC); binary encoding 0xFB 22.</summary>
    RefCast = 0xFB16,
    /// <summary>The <c>ref.cast null</c> instruction (GC); binary encoding 0xFB 23.</summary>
    RefCastNull = 0xFB17,
    /// <summary>The <c>br_on_cast</c> instruction (GC); binary encoding 0xFB 24.</summary>
    BrOnCast = 0xFB18,
    /// <summary>The <c>br_on_cast_fail</c> instruction (GC); binary encoding 0xFB 25.</summary>
    BrOnCastFail = 0xFB19,
    /// <summary>The <c>any.convert_extern</c> instruction (GC); binary encoding 0xFB 26.</summary>
    AnyConvertExtern = 0xFB1A,
    /// <summary>The <c>extern.convert_any</c> instruction (GC); binary encoding 0xFB 27.</summary>
    ExternConvertAny = 0xFB1B,
    /// <summary>The <c>ref.i31</c> instruction (GC); binary encoding 0xFB 28.</summary>
    RefI31 = 0xFB1C,
    /// <summary>The <c>i31.get_s</c> instruction (GC); binary encoding 0xFB 29.</summary>
    I31GetS = 0xFB1D,
    /// <summary>The <c>i31.get_u</c> instruction (GC); binary encoding 0xFB 30.</summary>
    I31GetU = 0xFB1E,

    // 0xFC prefix
    /// <summary>The <c>i32.trunc_sat_f32_s</c> instruction; binary encoding 0xFC 0 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32TruncSatF32S = 0xFC00,
    /// <summary>The <c>i32.trunc_sat_f32_u</c> instruction; binary encoding 0xFC 1 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32TruncSatF32U = 0xFC01,
    /// <summary>The <c>i32.trunc_sat_f64_s</c> instruction; binary encoding 0xFC 2 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32TruncSatF64S = 0xFC02,
    /// <summary>The <c>i32.trunc_sat_f64_u</c> instruction; binary encoding 0xFC 3 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32TruncSatF64U = 0xFC03,
    /// <summary>The <c>i64.trunc_sat_f32_s</c> instruction; binary encoding 0xFC 4 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64TruncSatF32S = 0xFC04,
    /// <summary>The <c>i64.trunc_sat_f32_u</c> instruction; binary encoding 0xFC 5 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64TruncSatF32U = 0xFC05,
    /// <summary>The <c>i64.trunc_sat_f64_s</c> instruction; binary encoding 0xFC 6 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64TruncSatF64S = 0xFC06,
    /// <summary>The <c>i64.trunc_sat_f64_u</c> instruction; binary encoding 0xFC 7 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64TruncSatF64U = 0xFC07,
    /// <summary>The <c>memory.init</c> instruction; binary encoding 0xFC 8 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    MemoryInit = 0xFC08,
    /// <summary>The <c>data.drop</c> instruction; binary encoding 0xFC 9 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    DataDrop = 0xFC09,
    /// <summary>The <c>memory.copy</c> instruction; binary encoding 0xFC 10 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    MemoryCopy = 0xFC0A,
    /// <summary>The <c>memory.fill</c> instruction; binary encoding 0xFC 11 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    MemoryFill = 0xFC0B,
    /// <summary>The <c>table.init</c> instruction; binary encoding 0xFC 12 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    TableInit = 0xFC0C,
    /// <summary>The <c>elem.drop</c> instruction; binary encoding 0xFC 13 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    ElemDrop = 0xFC0D,
    /// <summary>The <c>table.copy</c> instruction; binary encoding 0xFC 14 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    TableCopy = 0xFC0E,
    /// <summary>The <c>table.grow</c> instruction; binary encoding 0xFC 15 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    TableGrow = 0xFC0F,
    /// <summary>The <c>table.size</c> instruction; binary encoding 0xFC 16 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    TableSize = 0xFC10,
    /// <summary>The <c>table.fill</c> instruction; binary encoding 0xFC 17 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    TableFill = 0xFC11,

    // 0xFD prefix (SIMD, WebAssembly 2.0): 0xFD00 | sub. Relaxed SIMD (WebAssembly 3.0), whose sub-opcodes 0x100..0x113
    // do not fit in one byte, is 0xFF00 | (sub - 0x100).
    /// <summary>The <c>v128.load</c> instruction; binary encoding 0xFD 0 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load = 0xFD00,
    /// <summary>The <c>v128.load8x8_s</c> instruction; binary encoding 0xFD 1 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load8x8S = 0xFD01,
    /// <summary>The <c>v128.load8x8_u</c> instruction; binary encoding 0xFD 2 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load8x8U = 0xFD02,
    /// <summary>The <c>v128.load16x4_s</c> instruction; binary encoding 0xFD 3 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load16x4S = 0xFD03,
    /// <summary>The <c>v128.load16x4_u</c> instruction; binary encoding 0xFD 4 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load16x4U = 0xFD04,
    /// <summary>The <c>v128.load32x2_s</c> instruction; binary encoding 0xFD 5 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load32x2S = 0xFD05,
    /// <summary>The <c>v128.load32x2_u</c> instruction; binary encoding 0xFD 6 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load32x2U = 0xFD06,
    /// <summary>The <c>v128.load8_splat</c> instruction; binary encoding 0xFD 7 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load8Splat = 0xFD07,
    /// <summary>The <c>v128.load16_splat</c> instruction; binary encoding 0xFD 8 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load16Splat = 0xFD08,
    /// <summary>The <c>v128.load32_splat</c> instruction; binary encoding 0xFD 9 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load32Splat = 0xFD09,
    /// <summary>The <c>v128.load64_splat</c> instruction; binary encoding 0xFD 10 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load64Splat = 0xFD0A,
    /// <summary>The <c>v128.store</c> instruction; binary encoding 0xFD 11 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Store = 0xFD0B,
    /// <summary>The <c>v128.const</c> instruction; binary encoding 0xFD 12 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Const = 0xFD0C,
    /// <summary>The <c>i8x16.shuffle</c> instruction; binary encoding 0xFD 13 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Shuffle = 0xFD0D,
    /// <summary>The <c>i8x16.swizzle</c> instruction; binary encoding 0xFD 14 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Swizzle = 0xFD0E,
    /// <summary>The <c>i8x16.splat</c> instruction; binary encoding 0xFD 15 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Splat = 0xFD0F,
    /// <summary>The <c>i16x8.splat</c> instruction; binary encoding 0xFD 16 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Splat = 0xFD10,
    /// <summary>The <c>i32x4.splat</c> instruction; binary encoding 0xFD 17 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Splat = 0xFD11,
    /// <summary>The <c>i64x2.splat</c> instruction; binary encoding 0xFD 18 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Splat = 0xFD12,
    /// <summary>The <c>f32x4.splat</c> instruction; binary encoding 0xFD 19 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Splat = 0xFD13,
    /// <summary>The <c>f64x2.splat</c> instruction; binary encoding 0xFD 20 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Splat = 0xFD14,
    /// <summary>The <c>i8x16.extract_lane_s</c> instruction; binary encoding 0xFD 21 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16ExtractLaneS = 0xFD15,
    /// <summary>The <c>i8x16.extract_lane_u</c> instruction; binary encoding 0xFD 22 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16ExtractLaneU = 0xFD16,
    /// <summary>The <c>i8x16.replace_lane</c> instruction; binary encoding 0xFD 23 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16ReplaceLane = 0xFD17,
    /// <summary>The <c>i16x8.extract_lane_s</c> instruction; binary encoding 0xFD 24 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtractLaneS = 0xFD18,
    /// <summary>The <c>i16x8.extract_lane_u</c> instruction; binary encoding 0xFD 25 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtractLaneU = 0xFD19,
    /// <summary>The <c>i16x8.replace_lane</c> instruction; binary encoding 0xFD 26 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ReplaceLane = 0xFD1A,
    /// <summary>The <c>i32x4.extract_lane</c> instruction; binary encoding 0xFD 27 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtractLane = 0xFD1B,
    /// <summary>The <c>i32x4.replace_lane</c> instruction; binary encoding 0xFD 28 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ReplaceLane = 0xFD1C,
    /// <summary>The <c>i64x2.extract_lane</c> instruction; binary encoding 0xFD 29 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtractLane = 0xFD1D,
    /// <summary>The <c>i64x2.replace_lane</c> instruction; binary encoding 0xFD 30 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ReplaceLane = 0xFD1E,
    /// <summary>The <c>f32x4.extract_lane</c> instruction; binary encoding 0xFD 31 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4ExtractLane = 0xFD1F,
    /// <summary>The <c>f32x4.replace_lane</c> instruction; binary encoding 0xFD 32 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4ReplaceLane = 0xFD20,
    /// <summary>The <c>f64x2.extract_lane</c> instruction; binary encoding 0xFD 33 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2ExtractLane = 0xFD21,
    /// <summary>The <c>f64x2.replace_lane</c> instruction; binary encoding 0xFD 34 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2ReplaceLane = 0xFD22,
    /// <summary>The <c>i8x16.eq</c> instruction; binary encoding 0xFD 35 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Eq = 0xFD23,
    /// <summary>The <c>i8x16.ne</c> instruction; binary encoding 0xFD 36 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Ne = 0xFD24,
    /// <summary>The <c>i8x16.lt_s</c> instruction; binary encoding 0xFD 37 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16LtS = 0xFD25,
    /// <summary>The <c>i8x16.lt_u</c> instruction; binary encoding 0xFD 38 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16LtU = 0xFD26,
    /// <summary>The <c>i8x16.gt_s</c> instruction; binary encoding 0xFD 39 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16GtS = 0xFD27,
    /// <summary>The <c>i8x16.gt_u</c> instruction; binary encoding 0xFD 40 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16GtU = 0xFD28,
    /// <summary>The <c>i8x16.le_s</c> instruction; binary encoding 0xFD 41 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16LeS = 0xFD29,
    /// <summary>The <c>i8x16.le_u</c> instruction; binary encoding 0xFD 42 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16LeU = 0xFD2A,
    /// <summary>The <c>i8x16.ge_s</c> instruction; binary encoding 0xFD 43 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16GeS = 0xFD2B,
    /// <summary>The <c>i8x16.ge_u</c> instruction; binary encoding 0xFD 44 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16GeU = 0xFD2C,
    /// <summary>The <c>i16x8.eq</c> instruction; binary encoding 0xFD 45 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Eq = 0xFD2D,
    /// <summary>The <c>i16x8.ne</c> instruction; binary encoding 0xFD 46 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Ne = 0xFD2E,
    /// <summary>The <c>i16x8.lt_s</c> instruction; binary encoding 0xFD 47 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8LtS = 0xFD2F,
    /// <summary>The <c>i16x8.lt_u</c> instruction; binary encoding 0xFD 48 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8LtU = 0xFD30,
    /// <summary>The <c>i16x8.gt_s</c> instruction; binary encoding 0xFD 49 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8GtS = 0xFD31,
    /// <summary>The <c>i16x8.gt_u</c> instruction; binary encoding 0xFD 50 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8GtU = 0xFD32,
    /// <summary>The <c>i16x8.le_s</c> instruction; binary encoding 0xFD 51 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8LeS = 0xFD33,
    /// <summary>The <c>i16x8.le_u</c> instruction; binary encoding 0xFD 52 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8LeU = 0xFD34,
    /// <summary>The <c>i16x8.ge_s</c> instruction; binary encoding 0xFD 53 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8GeS = 0xFD35,
    /// <summary>The <c>i16x8.ge_u</c> instruction; binary encoding 0xFD 54 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8GeU = 0xFD36,
    /// <summary>The <c>i32x4.eq</c> instruction; binary encoding 0xFD 55 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Eq = 0xFD37,
    /// <summary>The <c>i32x4.ne</c> instruction; binary encoding 0xFD 56 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Ne = 0xFD38,
    /// <summary>The <c>i32x4.lt_s</c> instruction; binary encoding 0xFD 57 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4LtS = 0xFD39,
    /// <summary>The <c>i32x4.lt_u</c> instruction; binary encoding 0xFD 58 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4LtU = 0xFD3A,
    /// <summary>The <c>i32x4.gt_s</c> instruction; binary encoding 0xFD 59 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4GtS = 0xFD3B,
    /// <summary>The <c>i32x4.gt_u</c> instruction; binary encoding 0xFD 60 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4GtU = 0xFD3C,
    /// <summary>The <c>i32x4.le_s</c> instruction; binary encoding 0xFD 61 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4LeS = 0xFD3D,
    /// <summary>The <c>i32x4.le_u</c> instruction; binary encoding 0xFD 62 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4LeU = 0xFD3E,
    /// <summary>The <c>i32x4.ge_s</c> instruction; binary encoding 0xFD 63 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4GeS = 0xFD3F,
    /// <summary>The <c>i32x4.ge_u</c> instruction; binary encoding 0xFD 64 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4GeU = 0xFD40,
    /// <summary>The <c>f32x4.eq</c> instruction; binary encoding 0xFD 65 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Eq = 0xFD41,
    /// <summary>The <c>f32x4.ne</c> instruction; binary encoding 0xFD 66 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Ne = 0xFD42,
    /// <summary>The <c>f32x4.lt</c> instruction; binary encoding 0xFD 67 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Lt = 0xFD43,
    /// <summary>The <c>f32x4.gt</c> instruction; binary encoding 0xFD 68 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Gt = 0xFD44,
    /// <summary>The <c>f32x4.le</c> instruction; binary encoding 0xFD 69 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Le = 0xFD45,
    /// <summary>The <c>f32x4.ge</c> instruction; binary encoding 0xFD 70 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Ge = 0xFD46,
    /// <summary>The <c>f64x2.eq</c> instruction; binary encoding 0xFD 71 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Eq = 0xFD47,
    /// <summary>The <c>f64x2.ne</c> instruction; binary encoding 0xFD 72 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Ne = 0xFD48,
    /// <summary>The <c>f64x2.lt</c> instruction; binary encoding 0xFD 73 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Lt = 0xFD49,
    /// <summary>The <c>f64x2.gt</c> instruction; binary encoding 0xFD 74 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Gt = 0xFD4A,
    /// <summary>The <c>f64x2.le</c> instruction; binary encoding 0xFD 75 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Le = 0xFD4B,
    /// <summary>The <c>f64x2.ge</c> instruction; binary encoding 0xFD 76 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Ge = 0xFD4C,
    /// <summary>The <c>v128.not</c> instruction; binary encoding 0xFD 77 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Not = 0xFD4D,
    /// <summary>The <c>v128.and</c> instruction; binary encoding 0xFD 78 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128And = 0xFD4E,
    /// <summary>The <c>v128.andnot</c> instruction; binary encoding 0xFD 79 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Andnot = 0xFD4F,
    /// <summary>The <c>v128.or</c> instruction; binary encoding 0xFD 80 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Or = 0xFD50,
    /// <summary>The <c>v128.xor</c> instruction; binary encoding 0xFD 81 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Xor = 0xFD51,
    /// <summary>The <c>v128.bitselect</c> instruction; binary encoding 0xFD 82 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Bitselect = 0xFD52,
    /// <summary>The <c>v128.any_true</c> instruction; binary encoding 0xFD 83 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128AnyTrue = 0xFD53,
    /// <summary>The <c>v128.load8_lane</c> instruction; binary encoding 0xFD 84 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load8Lane = 0xFD54,
    /// <summary>The <c>v128.load16_lane</c> instruction; binary encoding 0xFD 85 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load16Lane = 0xFD55,
    /// <summary>The <c>v128.load32_lane</c> instruction; binary encoding 0xFD 86 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load32Lane = 0xFD56,
    /// <summary>The <c>v128.load64_lane</c> instruction; binary encoding 0xFD 87 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load64Lane = 0xFD57,
    /// <summary>The <c>v128.store8_lane</c> instruction; binary encoding 0xFD 88 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Store8Lane = 0xFD58,
    /// <summary>The <c>v128.store16_lane</c> instruction; binary encoding 0xFD 89 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Store16Lane = 0xFD59,
    /// <summary>The <c>v128.store32_lane</c> instruction; binary encoding 0xFD 90 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Store32Lane = 0xFD5A,
    /// <summary>The <c>v128.store64_lane</c> instruction; binary encoding 0xFD 91 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Store64Lane = 0xFD5B,
    /// <summary>The <c>v128.load32_zero</c> instruction; binary encoding 0xFD 92 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load32Zero = 0xFD5C,
    /// <summary>The <c>v128.load64_zero</c> instruction; binary encoding 0xFD 93 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    V128Load64Zero = 0xFD5D,
    /// <summary>The <c>f32x4.demote_f64x2_zero</c> instruction; binary encoding 0xFD 94 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4DemoteF64x2Zero = 0xFD5E,
    /// <summary>The <c>f64x2.promote_low_f32x4</c> instruction; binary encoding 0xFD 95 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2PromoteLowF32x4 = 0xFD5F,
    /// <summary>The <c>i8x16.abs</c> instruction; binary encoding 0xFD 96 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Abs = 0xFD60,
    /// <summary>The <c>i8x16.neg</c> instruction; binary encoding 0xFD 97 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Neg = 0xFD61,
    /// <summary>The <c>i8x16.popcnt</c> instruction; binary encoding 0xFD 98 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Popcnt = 0xFD62,
    /// <summary>The <c>i8x16.all_true</c> instruction; binary encoding 0xFD 99 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16AllTrue = 0xFD63,
    /// <summary>The <c>i8x16.bitmask</c> instruction; binary encoding 0xFD 100 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Bitmask = 0xFD64,
    /// <summary>The <c>i8x16.narrow_i16x8_s</c> instruction; binary encoding 0xFD 101 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16NarrowI16x8S = 0xFD65,
    /// <summary>The <c>i8x16.narrow_i16x8_u</c> instruction; binary encoding 0xFD 102 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16NarrowI16x8U = 0xFD66,
    /// <summary>The <c>f32x4.ceil</c> instruction; binary encoding 0xFD 103 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Ceil = 0xFD67,
    /// <summary>The <c>f32x4.floor</c> instruction; binary encoding 0xFD 104 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Floor = 0xFD68,
    /// <summary>The <c>f32x4.trunc</c> instruction; binary encoding 0xFD 105 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Trunc = 0xFD69,
    /// <summary>The <c>f32x4.nearest</c> instruction; binary encoding 0xFD 106 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Nearest = 0xFD6A,
    /// <summary>The <c>i8x16.shl</c> instruction; binary encoding 0xFD 107 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Shl = 0xFD6B,
    /// <summary>The <c>i8x16.shr_s</c> instruction; binary encoding 0xFD 108 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16ShrS = 0xFD6C,
    /// <summary>The <c>i8x16.shr_u</c> instruction; binary encoding 0xFD 109 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16ShrU = 0xFD6D,
    /// <summary>The <c>i8x16.add</c> instruction; binary encoding 0xFD 110 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Add = 0xFD6E,
    /// <summary>The <c>i8x16.add_sat_s</c> instruction; binary encoding 0xFD 111 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16AddSatS = 0xFD6F,
    /// <summary>The <c>i8x16.add_sat_u</c> instruction; binary encoding 0xFD 112 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16AddSatU = 0xFD70,
    /// <summary>The <c>i8x16.sub</c> instruction; binary encoding 0xFD 113 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16Sub = 0xFD71,
    /// <summary>The <c>i8x16.sub_sat_s</c> instruction; binary encoding 0xFD 114 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16SubSatS = 0xFD72,
    /// <summary>The <c>i8x16.sub_sat_u</c> instruction; binary encoding 0xFD 115 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16SubSatU = 0xFD73,
    /// <summary>The <c>f64x2.ceil</c> instruction; binary encoding 0xFD 116 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Ceil = 0xFD74,
    /// <summary>The <c>f64x2.floor</c> instruction; binary encoding 0xFD 117 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Floor = 0xFD75,
    /// <summary>The <c>i8x16.min_s</c> instruction; binary encoding 0xFD 118 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16MinS = 0xFD76,
    /// <summary>The <c>i8x16.min_u</c> instruction; binary encoding 0xFD 119 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16MinU = 0xFD77,
    /// <summary>The <c>i8x16.max_s</c> instruction; binary encoding 0xFD 120 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16MaxS = 0xFD78,
    /// <summary>The <c>i8x16.max_u</c> instruction; binary encoding 0xFD 121 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16MaxU = 0xFD79,
    /// <summary>The <c>f64x2.trunc</c> instruction; binary encoding 0xFD 122 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Trunc = 0xFD7A,
    /// <summary>The <c>i8x16.avgr_u</c> instruction; binary encoding 0xFD 123 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16AvgrU = 0xFD7B,
    /// <summary>The <c>i16x8.extadd_pairwise_i8x16_s</c> instruction; binary encoding 0xFD 124 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtaddPairwiseI8x16S = 0xFD7C,
    /// <summary>The <c>i16x8.extadd_pairwise_i8x16_u</c> instruction; binary encoding 0xFD 125 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtaddPairwiseI8x16U = 0xFD7D,
    /// <summary>The <c>i32x4.extadd_pairwise_i16x8_s</c> instruction; binary encoding 0xFD 126 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtaddPairwiseI16x8S = 0xFD7E,
    /// <summary>The <c>i32x4.extadd_pairwise_i16x8_u</c> instruction; binary encoding 0xFD 127 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtaddPairwiseI16x8U = 0xFD7F,
    /// <summary>The <c>i16x8.abs</c> instruction; binary encoding 0xFD 128 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Abs = 0xFD80,
    /// <summary>The <c>i16x8.neg</c> instruction; binary encoding 0xFD 129 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Neg = 0xFD81,
    /// <summary>The <c>i16x8.q15mulr_sat_s</c> instruction; binary encoding 0xFD 130 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Q15mulrSatS = 0xFD82,
    /// <summary>The <c>i16x8.all_true</c> instruction; binary encoding 0xFD 131 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8AllTrue = 0xFD83,
    /// <summary>The <c>i16x8.bitmask</c> instruction; binary encoding 0xFD 132 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Bitmask = 0xFD84,
    /// <summary>The <c>i16x8.narrow_i32x4_s</c> instruction; binary encoding 0xFD 133 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8NarrowI32x4S = 0xFD85,
    /// <summary>The <c>i16x8.narrow_i32x4_u</c> instruction; binary encoding 0xFD 134 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8NarrowI32x4U = 0xFD86,
    /// <summary>The <c>i16x8.extend_low_i8x16_s</c> instruction; binary encoding 0xFD 135 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtendLowI8x16S = 0xFD87,
    /// <summary>The <c>i16x8.extend_high_i8x16_s</c> instruction; binary encoding 0xFD 136 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtendHighI8x16S = 0xFD88,
    /// <summary>The <c>i16x8.extend_low_i8x16_u</c> instruction; binary encoding 0xFD 137 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtendLowI8x16U = 0xFD89,
    /// <summary>The <c>i16x8.extend_high_i8x16_u</c> instruction; binary encoding 0xFD 138 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtendHighI8x16U = 0xFD8A,
    /// <summary>The <c>i16x8.shl</c> instruction; binary encoding 0xFD 139 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Shl = 0xFD8B,
    /// <summary>The <c>i16x8.shr_s</c> instruction; binary encoding 0xFD 140 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ShrS = 0xFD8C,
    /// <summary>The <c>i16x8.shr_u</c> instruction; binary encoding 0xFD 141 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ShrU = 0xFD8D,
    /// <summary>The <c>i16x8.add</c> instruction; binary encoding 0xFD 142 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Add = 0xFD8E,
    /// <summary>The <c>i16x8.add_sat_s</c> instruction; binary encoding 0xFD 143 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8AddSatS = 0xFD8F,
    /// <summary>The <c>i16x8.add_sat_u</c> instruction; binary encoding 0xFD 144 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8AddSatU = 0xFD90,
    /// <summary>The <c>i16x8.sub</c> instruction; binary encoding 0xFD 145 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Sub = 0xFD91,
    /// <summary>The <c>i16x8.sub_sat_s</c> instruction; binary encoding 0xFD 146 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8SubSatS = 0xFD92,
    /// <summary>The <c>i16x8.sub_sat_u</c> instruction; binary encoding 0xFD 147 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8SubSatU = 0xFD93,
    /// <summary>The <c>f64x2.nearest</c> instruction; binary encoding 0xFD 148 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Nearest = 0xFD94,
    /// <summary>The <c>i16x8.mul</c> instruction; binary encoding 0xFD 149 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8Mul = 0xFD95,
    /// <summary>The <c>i16x8.min_s</c> instruction; binary encoding 0xFD 150 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8MinS = 0xFD96,
    /// <summary>The <c>i16x8.min_u</c> instruction; binary encoding 0xFD 151 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8MinU = 0xFD97,
    /// <summary>The <c>i16x8.max_s</c> instruction; binary encoding 0xFD 152 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8MaxS = 0xFD98,
    /// <summary>The <c>i16x8.max_u</c> instruction; binary encoding 0xFD 153 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8MaxU = 0xFD99,
    /// <summary>The <c>i16x8.avgr_u</c> instruction; binary encoding 0xFD 155 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8AvgrU = 0xFD9B,
    /// <summary>The <c>i16x8.extmul_low_i8x16_s</c> instruction; binary encoding 0xFD 156 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtmulLowI8x16S = 0xFD9C,
    /// <summary>The <c>i16x8.extmul_high_i8x16_s</c> instruction; binary encoding 0xFD 157 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtmulHighI8x16S = 0xFD9D,
    /// <summary>The <c>i16x8.extmul_low_i8x16_u</c> instruction; binary encoding 0xFD 158 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtmulLowI8x16U = 0xFD9E,
    /// <summary>The <c>i16x8.extmul_high_i8x16_u</c> instruction; binary encoding 0xFD 159 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8ExtmulHighI8x16U = 0xFD9F,
    /// <summary>The <c>i32x4.abs</c> instruction; binary encoding 0xFD 160 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Abs = 0xFDA0,
    /// <summary>The <c>i32x4.neg</c> instruction; binary encoding 0xFD 161 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Neg = 0xFDA1,
    /// <summary>The <c>i32x4.all_true</c> instruction; binary encoding 0xFD 163 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4AllTrue = 0xFDA3,
    /// <summary>The <c>i32x4.bitmask</c> instruction; binary encoding 0xFD 164 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Bitmask = 0xFDA4,
    /// <summary>The <c>i32x4.extend_low_i16x8_s</c> instruction; binary encoding 0xFD 167 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtendLowI16x8S = 0xFDA7,
    /// <summary>The <c>i32x4.extend_high_i16x8_s</c> instruction; binary encoding 0xFD 168 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtendHighI16x8S = 0xFDA8,
    /// <summary>The <c>i32x4.extend_low_i16x8_u</c> instruction; binary encoding 0xFD 169 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtendLowI16x8U = 0xFDA9,
    /// <summary>The <c>i32x4.extend_high_i16x8_u</c> instruction; binary encoding 0xFD 170 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtendHighI16x8U = 0xFDAA,
    /// <summary>The <c>i32x4.shl</c> instruction; binary encoding 0xFD 171 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Shl = 0xFDAB,
    /// <summary>The <c>i32x4.shr_s</c> instruction; binary encoding 0xFD 172 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ShrS = 0xFDAC,
    /// <summary>The <c>i32x4.shr_u</c> instruction; binary encoding 0xFD 173 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ShrU = 0xFDAD,
    /// <summary>The <c>i32x4.add</c> instruction; binary encoding 0xFD 174 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Add = 0xFDAE,
    /// <summary>The <c>i32x4.sub</c> instruction; binary encoding 0xFD 177 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Sub = 0xFDB1,
    /// <summary>The <c>i32x4.mul</c> instruction; binary encoding 0xFD 181 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4Mul = 0xFDB5,
    /// <summary>The <c>i32x4.min_s</c> instruction; binary encoding 0xFD 182 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4MinS = 0xFDB6,
    /// <summary>The <c>i32x4.min_u</c> instruction; binary encoding 0xFD 183 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4MinU = 0xFDB7,
    /// <summary>The <c>i32x4.max_s</c> instruction; binary encoding 0xFD 184 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4MaxS = 0xFDB8,
    /// <summary>The <c>i32x4.max_u</c> instruction; binary encoding 0xFD 185 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4MaxU = 0xFDB9,
    /// <summary>The <c>i32x4.dot_i16x8_s</c> instruction; binary encoding 0xFD 186 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4DotI16x8S = 0xFDBA,
    /// <summary>The <c>i32x4.extmul_low_i16x8_s</c> instruction; binary encoding 0xFD 188 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtmulLowI16x8S = 0xFDBC,
    /// <summary>The <c>i32x4.extmul_high_i16x8_s</c> instruction; binary encoding 0xFD 189 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtmulHighI16x8S = 0xFDBD,
    /// <summary>The <c>i32x4.extmul_low_i16x8_u</c> instruction; binary encoding 0xFD 190 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtmulLowI16x8U = 0xFDBE,
    /// <summary>The <c>i32x4.extmul_high_i16x8_u</c> instruction; binary encoding 0xFD 191 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4ExtmulHighI16x8U = 0xFDBF,
    /// <summary>The <c>i64x2.abs</c> instruction; binary encoding 0xFD 192 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Abs = 0xFDC0,
    /// <summary>The <c>i64x2.neg</c> instruction; binary encoding 0xFD 193 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Neg = 0xFDC1,
    /// <summary>The <c>i64x2.all_true</c> instruction; binary encoding 0xFD 195 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2AllTrue = 0xFDC3,
    /// <summary>The <c>i64x2.bitmask</c> instruction; binary encoding 0xFD 196 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Bitmask = 0xFDC4,
    /// <summary>The <c>i64x2.extend_low_i32x4_s</c> instruction; binary encoding 0xFD 199 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtendLowI32x4S = 0xFDC7,
    /// <summary>The <c>i64x2.extend_high_i32x4_s</c> instruction; binary encoding 0xFD 200 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtendHighI32x4S = 0xFDC8,
    /// <summary>The <c>i64x2.extend_low_i32x4_u</c> instruction; binary encoding 0xFD 201 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtendLowI32x4U = 0xFDC9,
    /// <summary>The <c>i64x2.extend_high_i32x4_u</c> instruction; binary encoding 0xFD 202 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtendHighI32x4U = 0xFDCA,
    /// <summary>The <c>i64x2.shl</c> instruction; binary encoding 0xFD 203 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Shl = 0xFDCB,
    /// <summary>The <c>i64x2.shr_s</c> instruction; binary encoding 0xFD 204 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ShrS = 0xFDCC,
    /// <summary>The <c>i64x2.shr_u</c> instruction; binary encoding 0xFD 205 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ShrU = 0xFDCD,
    /// <summary>The <c>i64x2.add</c> instruction; binary encoding 0xFD 206 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Add = 0xFDCE,
    /// <summary>The <c>i64x2.sub</c> instruction; binary encoding 0xFD 209 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Sub = 0xFDD1,
    /// <summary>The <c>i64x2.mul</c> instruction; binary encoding 0xFD 213 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Mul = 0xFDD5,
    /// <summary>The <c>i64x2.eq</c> instruction; binary encoding 0xFD 214 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Eq = 0xFDD6,
    /// <summary>The <c>i64x2.ne</c> instruction; binary encoding 0xFD 215 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2Ne = 0xFDD7,
    /// <summary>The <c>i64x2.lt_s</c> instruction; binary encoding 0xFD 216 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2LtS = 0xFDD8,
    /// <summary>The <c>i64x2.gt_s</c> instruction; binary encoding 0xFD 217 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2GtS = 0xFDD9,
    /// <summary>The <c>i64x2.le_s</c> instruction; binary encoding 0xFD 218 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2LeS = 0xFDDA,
    /// <summary>The <c>i64x2.ge_s</c> instruction; binary encoding 0xFD 219 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2GeS = 0xFDDB,
    /// <summary>The <c>i64x2.extmul_low_i32x4_s</c> instruction; binary encoding 0xFD 220 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtmulLowI32x4S = 0xFDDC,
    /// <summary>The <c>i64x2.extmul_high_i32x4_s</c> instruction; binary encoding 0xFD 221 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtmulHighI32x4S = 0xFDDD,
    /// <summary>The <c>i64x2.extmul_low_i32x4_u</c> instruction; binary encoding 0xFD 222 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtmulLowI32x4U = 0xFDDE,
    /// <summary>The <c>i64x2.extmul_high_i32x4_u</c> instruction; binary encoding 0xFD 223 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2ExtmulHighI32x4U = 0xFDDF,
    /// <summary>The <c>f32x4.abs</c> instruction; binary encoding 0xFD 224 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Abs = 0xFDE0,
    /// <summary>The <c>f32x4.neg</c> instruction; binary encoding 0xFD 225 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Neg = 0xFDE1,
    /// <summary>The <c>f32x4.sqrt</c> instruction; binary encoding 0xFD 227 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Sqrt = 0xFDE3,
    /// <summary>The <c>f32x4.add</c> instruction; binary encoding 0xFD 228 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Add = 0xFDE4,
    /// <summary>The <c>f32x4.sub</c> instruction; binary encoding 0xFD 229 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Sub = 0xFDE5,
    /// <summary>The <c>f32x4.mul</c> instruction; binary encoding 0xFD 230 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Mul = 0xFDE6,
    /// <summary>The <c>f32x4.div</c> instruction; binary encoding 0xFD 231 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Div = 0xFDE7,
    /// <summary>The <c>f32x4.min</c> instruction; binary encoding 0xFD 232 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Min = 0xFDE8,
    /// <summary>The <c>f32x4.max</c> instruction; binary encoding 0xFD 233 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Max = 0xFDE9,
    /// <summary>The <c>f32x4.pmin</c> instruction; binary encoding 0xFD 234 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Pmin = 0xFDEA,
    /// <summary>The <c>f32x4.pmax</c> instruction; binary encoding 0xFD 235 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4Pmax = 0xFDEB,
    /// <summary>The <c>f64x2.abs</c> instruction; binary encoding 0xFD 236 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Abs = 0xFDEC,
    /// <summary>The <c>f64x2.neg</c> instruction; binary encoding 0xFD 237 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Neg = 0xFDED,
    /// <summary>The <c>f64x2.sqrt</c> instruction; binary encoding 0xFD 239 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Sqrt = 0xFDEF,
    /// <summary>The <c>f64x2.add</c> instruction; binary encoding 0xFD 240 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Add = 0xFDF0,
    /// <summary>The <c>f64x2.sub</c> instruction; binary encoding 0xFD 241 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Sub = 0xFDF1,
    /// <summary>The <c>f64x2.mul</c> instruction; binary encoding 0xFD 242 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Mul = 0xFDF2,
    /// <summary>The <c>f64x2.div</c> instruction; binary encoding 0xFD 243 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Div = 0xFDF3,
    /// <summary>The <c>f64x2.min</c> instruction; binary encoding 0xFD 244 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Min = 0xFDF4,
    /// <summary>The <c>f64x2.max</c> instruction; binary encoding 0xFD 245 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Max = 0xFDF5,
    /// <summary>The <c>f64x2.pmin</c> instruction; binary encoding 0xFD 246 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Pmin = 0xFDF6,
    /// <summary>The <c>f64x2.pmax</c> instruction; binary encoding 0xFD 247 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2Pmax = 0xFDF7,
    /// <summary>The <c>i32x4.trunc_sat_f32x4_s</c> instruction; binary encoding 0xFD 248 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4TruncSatF32x4S = 0xFDF8,
    /// <summary>The <c>i32x4.trunc_sat_f32x4_u</c> instruction; binary encoding 0xFD 249 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4TruncSatF32x4U = 0xFDF9,
    /// <summary>The <c>f32x4.convert_i32x4_s</c> instruction; binary encoding 0xFD 250 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4ConvertI32x4S = 0xFDFA,
    /// <summary>The <c>f32x4.convert_i32x4_u</c> instruction; binary encoding 0xFD 251 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4ConvertI32x4U = 0xFDFB,
    /// <summary>The <c>i32x4.trunc_sat_f64x2_s_zero</c> instruction; binary encoding 0xFD 252 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4TruncSatF64x2SZero = 0xFDFC,
    /// <summary>The <c>i32x4.trunc_sat_f64x2_u_zero</c> instruction; binary encoding 0xFD 253 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4TruncSatF64x2UZero = 0xFDFD,
    /// <summary>The <c>f64x2.convert_low_i32x4_s</c> instruction; binary encoding 0xFD 254 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2ConvertLowI32x4S = 0xFDFE,
    /// <summary>The <c>f64x2.convert_low_i32x4_u</c> instruction; binary encoding 0xFD 255 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2ConvertLowI32x4U = 0xFDFF,
    /// <summary>The <c>i8x16.relaxed_swizzle</c> instruction; binary encoding 0xFD 256 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16RelaxedSwizzle = 0xFF00,
    /// <summary>The <c>i32x4.relaxed_trunc_f32x4_s</c> instruction; binary encoding 0xFD 257 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4RelaxedTruncF32x4S = 0xFF01,
    /// <summary>The <c>i32x4.relaxed_trunc_f32x4_u</c> instruction; binary encoding 0xFD 258 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4RelaxedTruncF32x4U = 0xFF02,
    /// <summary>The <c>i32x4.relaxed_trunc_f64x2_s_zero</c> instruction; binary encoding 0xFD 259 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4RelaxedTruncF64x2SZero = 0xFF03,
    /// <summary>The <c>i32x4.relaxed_trunc_f64x2_u_zero</c> instruction; binary encoding 0xFD 260 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4RelaxedTruncF64x2UZero = 0xFF04,
    /// <summary>The <c>f32x4.relaxed_madd</c> instruction; binary encoding 0xFD 261 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4RelaxedMadd = 0xFF05,
    /// <summary>The <c>f32x4.relaxed_nmadd</c> instruction; binary encoding 0xFD 262 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4RelaxedNmadd = 0xFF06,
    /// <summary>The <c>f64x2.relaxed_madd</c> instruction; binary encoding 0xFD 263 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2RelaxedMadd = 0xFF07,
    /// <summary>The <c>f64x2.relaxed_nmadd</c> instruction; binary encoding 0xFD 264 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2RelaxedNmadd = 0xFF08,
    /// <summary>The <c>i8x16.relaxed_laneselect</c> instruction; binary encoding 0xFD 265 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I8x16RelaxedLaneselect = 0xFF09,
    /// <summary>The <c>i16x8.relaxed_laneselect</c> instruction; binary encoding 0xFD 266 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8RelaxedLaneselect = 0xFF0A,
    /// <summary>The <c>i32x4.relaxed_laneselect</c> instruction; binary encoding 0xFD 267 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4RelaxedLaneselect = 0xFF0B,
    /// <summary>The <c>i64x2.relaxed_laneselect</c> instruction; binary encoding 0xFD 268 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64x2RelaxedLaneselect = 0xFF0C,
    /// <summary>The <c>f32x4.relaxed_min</c> instruction; binary encoding 0xFD 269 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4RelaxedMin = 0xFF0D,
    /// <summary>The <c>f32x4.relaxed_max</c> instruction; binary encoding 0xFD 270 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F32x4RelaxedMax = 0xFF0E,
    /// <summary>The <c>f64x2.relaxed_min</c> instruction; binary encoding 0xFD 271 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2RelaxedMin = 0xFF0F,
    /// <summary>The <c>f64x2.relaxed_max</c> instruction; binary encoding 0xFD 272 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    F64x2RelaxedMax = 0xFF10,
    /// <summary>The <c>i16x8.relaxed_q15mulr_s</c> instruction; binary encoding 0xFD 273 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8RelaxedQ15mulrS = 0xFF11,
    /// <summary>The <c>i16x8.relaxed_dot_i8x16_i7x16_s</c> instruction; binary encoding 0xFD 274 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I16x8RelaxedDotI8x16I7x16S = 0xFF12,
    /// <summary>The <c>i32x4.relaxed_dot_i8x16_i7x16_add_s</c> instruction; binary encoding 0xFD 275 (relaxed SIMD) (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32x4RelaxedDotI8x16I7x16AddS = 0xFF13,

    // 0xFE prefix (threads)
    /// <summary>The <c>memory.atomic.notify</c> instruction; binary encoding 0xFE 0 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    MemoryAtomicNotify = 0xFE00,
    /// <summary>The <c>memory.atomic.wait32</c> instruction; binary encoding 0xFE 1 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    MemoryAtomicWait32 = 0xFE01,
    /// <summary>The <c>memory.atomic.wait64</c> instruction; binary encoding 0xFE 2 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    MemoryAtomicWait64 = 0xFE02,
    /// <summary>The <c>atomic.fence</c> instruction; binary encoding 0xFE 3 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    AtomicFence = 0xFE03,
    /// <summary>The <c>i32.atomic.load</c> instruction; binary encoding 0xFE 16 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicLoad = 0xFE10,
    /// <summary>The <c>i64.atomic.load</c> instruction; binary encoding 0xFE 17 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicLoad = 0xFE11,
    /// <summary>The <c>i32.atomic.load8_u</c> instruction; binary encoding 0xFE 18 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicLoad8U = 0xFE12,
    /// <summary>The <c>i32.atomic.load16_u</c> instruction; binary encoding 0xFE 19 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicLoad16U = 0xFE13,
    /// <summary>The <c>i64.atomic.load8_u</c> instruction; binary encoding 0xFE 20 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicLoad8U = 0xFE14,
    /// <summary>The <c>i64.atomic.load16_u</c> instruction; binary encoding 0xFE 21 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicLoad16U = 0xFE15,
    /// <summary>The <c>i64.atomic.load32_u</c> instruction; binary encoding 0xFE 22 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicLoad32U = 0xFE16,
    /// <summary>The <c>i32.atomic.store</c> instruction; binary encoding 0xFE 23 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicStore = 0xFE17,
    /// <summary>The <c>i64.atomic.store</c> instruction; binary encoding 0xFE 24 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicStore = 0xFE18,
    /// <summary>The <c>i32.atomic.store8</c> instruction; binary encoding 0xFE 25 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicStore8 = 0xFE19,
    /// <summary>The <c>i32.atomic.store16</c> instruction; binary encoding 0xFE 26 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicStore16 = 0xFE1A,
    /// <summary>The <c>i64.atomic.store8</c> instruction; binary encoding 0xFE 27 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicStore8 = 0xFE1B,
    /// <summary>The <c>i64.atomic.store16</c> instruction; binary encoding 0xFE 28 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicStore16 = 0xFE1C,
    /// <summary>The <c>i64.atomic.store32</c> instruction; binary encoding 0xFE 29 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicStore32 = 0xFE1D,
    /// <summary>The <c>i32.atomic.rmw.add</c> instruction; binary encoding 0xFE 30 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwAdd = 0xFE1E,
    /// <summary>The <c>i64.atomic.rmw.add</c> instruction; binary encoding 0xFE 31 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwAdd = 0xFE1F,
    /// <summary>The <c>i32.atomic.rmw8.add_u</c> instruction; binary encoding 0xFE 32 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8AddU = 0xFE20,
    /// <summary>The <c>i32.atomic.rmw16.add_u</c> instruction; binary encoding 0xFE 33 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16AddU = 0xFE21,
    /// <summary>The <c>i64.atomic.rmw8.add_u</c> instruction; binary encoding 0xFE 34 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8AddU = 0xFE22,
    /// <summary>The <c>i64.atomic.rmw16.add_u</c> instruction; binary encoding 0xFE 35 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16AddU = 0xFE23,
    /// <summary>The <c>i64.atomic.rmw32.add_u</c> instruction; binary encoding 0xFE 36 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32AddU = 0xFE24,
    /// <summary>The <c>i32.atomic.rmw.sub</c> instruction; binary encoding 0xFE 37 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwSub = 0xFE25,
    /// <summary>The <c>i64.atomic.rmw.sub</c> instruction; binary encoding 0xFE 38 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwSub = 0xFE26,
    /// <summary>The <c>i32.atomic.rmw8.sub_u</c> instruction; binary encoding 0xFE 39 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8SubU = 0xFE27,
    /// <summary>The <c>i32.atomic.rmw16.sub_u</c> instruction; binary encoding 0xFE 40 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16SubU = 0xFE28,
    /// <summary>The <c>i64.atomic.rmw8.sub_u</c> instruction; binary encoding 0xFE 41 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8SubU = 0xFE29,
    /// <summary>The <c>i64.atomic.rmw16.sub_u</c> instruction; binary encoding 0xFE 42 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16SubU = 0xFE2A,
    /// <summary>The <c>i64.atomic.rmw32.sub_u</c> instruction; binary encoding 0xFE 43 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32SubU = 0xFE2B,
    /// <summary>The <c>i32.atomic.rmw.and</c> instruction; binary encoding 0xFE 44 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwAnd = 0xFE2C,
    /// <summary>The <c>i64.atomic.rmw.and</c> instruction; binary encoding 0xFE 45 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwAnd = 0xFE2D,
    /// <summary>The <c>i32.atomic.rmw8.and_u</c> instruction; binary encoding 0xFE 46 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8AndU = 0xFE2E,
    /// <summary>The <c>i32.atomic.rmw16.and_u</c> instruction; binary encoding 0xFE 47 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16AndU = 0xFE2F,
    /// <summary>The <c>i64.atomic.rmw8.and_u</c> instruction; binary encoding 0xFE 48 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8AndU = 0xFE30,
    /// <summary>The <c>i64.atomic.rmw16.and_u</c> instruction; binary encoding 0xFE 49 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16AndU = 0xFE31,
    /// <summary>The <c>i64.atomic.rmw32.and_u</c> instruction; binary encoding 0xFE 50 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32AndU = 0xFE32,
    /// <summary>The <c>i32.atomic.rmw.or</c> instruction; binary encoding 0xFE 51 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwOr = 0xFE33,
    /// <summary>The <c>i64.atomic.rmw.or</c> instruction; binary encoding 0xFE 52 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwOr = 0xFE34,
    /// <summary>The <c>i32.atomic.rmw8.or_u</c> instruction; binary encoding 0xFE 53 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8OrU = 0xFE35,
    /// <summary>The <c>i32.atomic.rmw16.or_u</c> instruction; binary encoding 0xFE 54 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16OrU = 0xFE36,
    /// <summary>The <c>i64.atomic.rmw8.or_u</c> instruction; binary encoding 0xFE 55 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8OrU = 0xFE37,
    /// <summary>The <c>i64.atomic.rmw16.or_u</c> instruction; binary encoding 0xFE 56 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16OrU = 0xFE38,
    /// <summary>The <c>i64.atomic.rmw32.or_u</c> instruction; binary encoding 0xFE 57 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32OrU = 0xFE39,
    /// <summary>The <c>i32.atomic.rmw.xor</c> instruction; binary encoding 0xFE 58 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwXor = 0xFE3A,
    /// <summary>The <c>i64.atomic.rmw.xor</c> instruction; binary encoding 0xFE 59 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwXor = 0xFE3B,
    /// <summary>The <c>i32.atomic.rmw8.xor_u</c> instruction; binary encoding 0xFE 60 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8XorU = 0xFE3C,
    /// <summary>The <c>i32.atomic.rmw16.xor_u</c> instruction; binary encoding 0xFE 61 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16XorU = 0xFE3D,
    /// <summary>The <c>i64.atomic.rmw8.xor_u</c> instruction; binary encoding 0xFE 62 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8XorU = 0xFE3E,
    /// <summary>The <c>i64.atomic.rmw16.xor_u</c> instruction; binary encoding 0xFE 63 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16XorU = 0xFE3F,
    /// <summary>The <c>i64.atomic.rmw32.xor_u</c> instruction; binary encoding 0xFE 64 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32XorU = 0xFE40,
    /// <summary>The <c>i32.atomic.rmw.xchg</c> instruction; binary encoding 0xFE 65 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwXchg = 0xFE41,
    /// <summary>The <c>i64.atomic.rmw.xchg</c> instruction; binary encoding 0xFE 66 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwXchg = 0xFE42,
    /// <summary>The <c>i32.atomic.rmw8.xchg_u</c> instruction; binary encoding 0xFE 67 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8XchgU = 0xFE43,
    /// <summary>The <c>i32.atomic.rmw16.xchg_u</c> instruction; binary encoding 0xFE 68 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16XchgU = 0xFE44,
    /// <summary>The <c>i64.atomic.rmw8.xchg_u</c> instruction; binary encoding 0xFE 69 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8XchgU = 0xFE45,
    /// <summary>The <c>i64.atomic.rmw16.xchg_u</c> instruction; binary encoding 0xFE 70 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16XchgU = 0xFE46,
    /// <summary>The <c>i64.atomic.rmw32.xchg_u</c> instruction; binary encoding 0xFE 71 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32XchgU = 0xFE47,
    /// <summary>The <c>i32.atomic.rmw.cmpxchg</c> instruction; binary encoding 0xFE 72 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmwCmpxchg = 0xFE48,
    /// <summary>The <c>i64.atomic.rmw.cmpxchg</c> instruction; binary encoding 0xFE 73 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmwCmpxchg = 0xFE49,
    /// <summary>The <c>i32.atomic.rmw8.cmpxchg_u</c> instruction; binary encoding 0xFE 74 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw8CmpxchgU = 0xFE4A,
    /// <summary>The <c>i32.atomic.rmw16.cmpxchg_u</c> instruction; binary encoding 0xFE 75 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I32AtomicRmw16CmpxchgU = 0xFE4B,
    /// <summary>The <c>i64.atomic.rmw8.cmpxchg_u</c> instruction; binary encoding 0xFE 76 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw8CmpxchgU = 0xFE4C,
    /// <summary>The <c>i64.atomic.rmw16.cmpxchg_u</c> instruction; binary encoding 0xFE 77 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw16CmpxchgU = 0xFE4D,
    /// <summary>The <c>i64.atomic.rmw32.cmpxchg_u</c> instruction; binary encoding 0xFE 78 (prefix byte, then the sub-opcode as a LEB128 u32).</summary>
    I64AtomicRmw32CmpxchgU = 0xFE4E,
}
