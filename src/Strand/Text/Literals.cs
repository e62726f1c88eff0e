using System.Globalization;
using System.Numerics;

namespace Strand.Text;

/// <summary>
/// Numeric literals of the text format. Integers: optional sign, decimal or <c>0x</c> hex digits,
/// single underscores between digits. Floats additionally: fractions, exponents (<c>e</c> for
/// decimal, <c>p</c> for hex), <c>inf</c>, <c>nan</c>, <c>nan:0x...</c>. Each parser returns
/// false for text of the wrong shape and throws "constant out of range" for a well-formed
/// literal that does not fit.
/// </summary>
internal static class Literals
{
    public const string OutOfRange = "constant out of range";

    /// <summary>Strips valid underscores; false if an underscore is not between two digits.</summary>
    private static bool TryStripDigits(ReadOnlySpan<char> s, bool hex, out string digits)
    {
        digits = "";
        if (s.Length == 0) return false;
        var chars = new char[s.Length];
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '_')
            {
                if (i == 0 || i == s.Length - 1 || !IsDigit(s[i - 1], hex) || !IsDigit(s[i + 1], hex)) return false;
                continue;
            }
            if (!IsDigit(c, hex)) return false;
            chars[n++] = c;
        }
        digits = new string(chars, 0, n);
        return true;
    }

    private static bool IsDigit(char c, bool hex) => hex ? SExprReader.IsHex(c) : c is >= '0' and <= '9';

    /// <summary>Unsigned magnitude of a sign-less integer literal; false if malformed.</summary>
    private static bool TryParseMagnitude(ReadOnlySpan<char> s, out BigInteger value)
    {
        value = BigInteger.Zero;
        bool hex = s.StartsWith("0x");
        if (hex) s = s[2..];
        if (!TryStripDigits(s, hex, out var digits)) return false;
        // Bound the work on absurdly long literals: anything past 40 significant digits is out of range anyway.
        var trimmed = digits.TrimStart('0');
        if (trimmed.Length > 40) { value = BigInteger.One << 200; return true; }
        foreach (char c in trimmed) value = value * (hex ? 16 : 10) + SExprReader.HexValue(c);
        return true;
    }

    /// <summary>A natural number (no sign), e.g. an index, offset, alignment or limit.</summary>
    public static bool TryParseNat(string text, ulong max, out ulong value, out bool outOfRange)
    {
        value = 0;
        outOfRange = false;
        if (text.Length == 0 || text[0] is '+' or '-') return false;
        if (!TryParseMagnitude(text, out var big)) return false;
        if (big > max) { outOfRange = true; return true; }
        value = (ulong)big;
        return true;
    }

    /// <summary>An iN constant: accepts -2^(N-1) .. 2^N-1 and returns the two's complement bits.</summary>
    public static bool TryParseInt(string text, int bits, out ulong value, out bool outOfRange)
    {
        value = 0;
        outOfRange = false;
        ReadOnlySpan<char> s = text;
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-') { negative = s[0] == '-'; s = s[1..]; }
        if (!TryParseMagnitude(s, out var big)) return false;
        var limit = negative ? BigInteger.One << (bits - 1) : (BigInteger.One << bits) - 1;
        if (big > limit) { outOfRange = true; return true; }
        if (negative) big = (BigInteger.One << bits) - big;
        var mask = (BigInteger.One << bits) - 1;
        value = (ulong)(big & mask);
        return true;
    }

    public static bool TryParseF32(string text, out uint bits, out bool outOfRange)
    {
        bool ok = TryParseFloat(text, Format32, out var raw, out outOfRange);
        bits = (uint)raw;
        return ok;
    }

    public static bool TryParseF64(string text, out ulong bits, out bool outOfRange) =>
        TryParseFloat(text, Format64, out bits, out outOfRange);

    internal readonly record struct FloatFormat(int MantissaBits, int ExponentBits)
    {
        public int Bias => (1 << (ExponentBits - 1)) - 1;
        public ulong SignBit => 1UL << (MantissaBits + ExponentBits);
        public ulong ExponentMask => ((1UL << ExponentBits) - 1) << MantissaBits;
        public ulong QuietBit => 1UL << (MantissaBits - 1);
    }

    internal static readonly FloatFormat Format32 = new(23, 8);
    internal static readonly FloatFormat Format64 = new(52, 11);

    private static bool TryParseFloat(string text, FloatFormat f, out ulong bits, out bool outOfRange)
    {
        bits = 0;
        outOfRange = false;
        ReadOnlySpan<char> s = text;
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-') { negative = s[0] == '-'; s = s[1..]; }
        ulong sign = negative ? f.SignBit : 0;
        if (s.SequenceEqual("inf")) { bits = sign | f.ExponentMask; return true; }
        if (s.SequenceEqual("nan")) { bits = sign | f.ExponentMask | f.QuietBit; return true; }
        if (s.StartsWith("nan:0x"))
        {
            if (!TryParseMagnitude(s[4..], out var payload)) return false;
            if (payload < 1 || payload >= (BigInteger.One << f.MantissaBits)) { outOfRange = true; return true; }
            bits = sign | f.ExponentMask | (ulong)payload;
            return true;
        }
        bool ok = s.StartsWith("0x") ? TryParseHexFloat(s[2..], f, out bits, out outOfRange) : TryParseDecimalFloat(s, f, out bits, out outOfRange);
        if (!ok || outOfRange) return ok;
        bits |= sign;
        return true;
    }

    /// <summary>Splits "mantissa[.fraction][e|p[sign]exponent]" and validates the digit groups.</summary>
    private static bool TrySplit(ReadOnlySpan<char> s, bool hex, out string intDigits, out string fracDigits, out long exponent)
    {
        intDigits = fracDigits = "";
        exponent = 0;
        int expAt = hex ? s.IndexOfAny('p', 'P') : s.IndexOfAny('e', 'E');
        var mantissa = expAt >= 0 ? s[..expAt] : s;
        if (expAt >= 0)
        {
            var e = s[(expAt + 1)..];
            bool negExp = false;
            if (e.Length > 0 && e[0] is '+' or '-') { negExp = e[0] == '-'; e = e[1..]; }
            if (!TryStripDigits(e, false, out var expDigits)) return false;
            // Saturate: exponents this large give zero or overflow whatever the mantissa.
            foreach (char c in expDigits)
            {
                exponent = exponent * 10 + (c - '0');
                if (exponent > 100_000_000) { exponent = 100_000_000; break; }
            }
            if (negExp) exponent = -exponent;
        }
        int dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : ReadOnlySpan<char>.Empty;
        if (!TryStripDigits(intPart, hex, out intDigits)) return false;
        if (fracPart.Length > 0 && !TryStripDigits(fracPart, hex, out fracDigits)) return false;
        return true;
    }

    private static bool TryParseDecimalFloat(ReadOnlySpan<char> s, FloatFormat f, out ulong bits, out bool outOfRange)
    {
        bits = 0;
        outOfRange = false;
        if (!TrySplit(s, false, out var intDigits, out var fracDigits, out long exponent)) return false;
        // .NET's parsers round correctly (IEEE round-to-nearest-even) for any number of digits.
        string normal = $"{intDigits}.{(fracDigits.Length == 0 ? "0" : fracDigits)}e{exponent}";
        if (f.MantissaBits == 23)
        {
            float v = float.Parse(normal, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (float.IsInfinity(v)) { outOfRange = true; return true; }
            bits = BitConverter.SingleToUInt32Bits(v);
        }
        else
        {
            double v = double.Parse(normal, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(v)) { outOfRange = true; return true; }
            bits = BitConverter.DoubleToUInt64Bits(v);
        }
        return true;
    }

    private static bool TryParseHexFloat(ReadOnlySpan<char> s, FloatFormat f, out ulong bits, out bool outOfRange)
    {
        bits = 0;
        outOfRange = false;
        if (!TrySplit(s, true, out var intDigits, out var fracDigits, out long exponent)) return false;
        var mantissa = BigInteger.Zero;
        foreach (char c in intDigits + fracDigits) mantissa = (mantissa << 4) + SExprReader.HexValue(c);
        long exp2 = exponent - 4L * fracDigits.Length;
        return RoundToFloat(mantissa, exp2, f, out bits, out outOfRange);
    }

    /// <summary>Rounds mantissa * 2^exp2 (mantissa >= 0) to the nearest representable value, ties to even.</summary>
    internal static bool RoundToFloat(BigInteger mantissa, long exp2, FloatFormat f, out ulong bits, out bool outOfRange)
    {
        bits = 0;
        outOfRange = false;
        if (mantissa.IsZero) return true;
        long bitLength = (long)mantissa.GetBitLength();
        long topExponent = bitLength - 1 + exp2; // exponent of the leading one bit
        int minNormal = 1 - f.Bias;
        if (topExponent > f.Bias) { outOfRange = true; return true; }
        if (topExponent < minNormal - f.MantissaBits - 2) return true; // rounds to zero
        // Number of significant bits the result can hold at this magnitude.
        long keep = topExponent >= minNormal ? f.MantissaBits + 1 : f.MantissaBits + 1 - (minNormal - topExponent);
        long shift = bitLength - keep;
        BigInteger kept;
        if (shift > 0)
        {
            kept = mantissa >> (int)shift;
            var remainder = mantissa - (kept << (int)shift);
            var half = BigInteger.One << (int)(shift - 1);
            if (remainder > half || (remainder == half && !kept.IsEven)) kept += 1;
        }
        else
        {
            kept = mantissa << (int)-shift;
        }
        // kept is the significand scaled so its unit is 2^(exp2 + shift).
        long unitExponent = exp2 + shift;
        if (kept.IsZero) return true;
        long keptBits = (long)kept.GetBitLength();
        long top = keptBits - 1 + unitExponent;
        if (top > f.Bias) { outOfRange = true; return true; }
        if (top < minNormal)
        {
            // Subnormal: unit is 2^(minNormal - MantissaBits).
            bits = (ulong)kept;
            return true;
        }
        // Normal: keptBits is MantissaBits + 1, or one more when rounding carried (low bits are then zero).
        if (keptBits - 1 > f.MantissaBits) kept >>= (int)(keptBits - 1 - f.MantissaBits);
        ulong fraction = (ulong)(kept & ((BigInteger.One << f.MantissaBits) - 1));
        ulong biased = (ulong)(top + f.Bias);
        bits = (biased << f.MantissaBits) | fraction;
        return true;
    }
}
