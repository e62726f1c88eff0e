using System.Buffers.Binary;
using System.Numerics;

namespace Strand.Compilation;

/// <summary>
/// XXH64 (the 64-bit xxHash of Yann Collet's specification, seed 0): the checksum of compiled artifacts and ReadyToRun
/// images (docs/compiler.md, "Compiled modules and the cache"). Not cryptographic: it detects accidental damage
/// (truncation, a partial or torn write, flipped bits) at memory speed, several times faster than SHA-256, which gave no
/// more protection here since nothing is keyed (whoever can write the cache can also write a matching digest).
/// </summary>
internal static class XxHash64
{
    private const ulong P1 = 11400714785074694791UL;
    private const ulong P2 = 14029467366897019727UL;
    private const ulong P3 = 1609587929392839161UL;
    private const ulong P4 = 9650029242287828579UL;
    private const ulong P5 = 2870177450012600261UL;

    /// <summary>The XXH64 digest (seed 0) of <paramref name="data"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        var state = new State();
        state.Add(data[..(data.Length & ~31)]);
        return state.Finish(data[(data.Length & ~31)..]);
    }

    /// <summary>
    /// The XXH64 digest of the file at <paramref name="path"/> and its length, read in 1 MiB blocks (not mapped: a file
    /// truncated by someone else while mapped would fault). Throws <see cref="IOException"/> and <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static (ulong Hash, long Length) HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        var state = new State();
        long length = 0;
        while (true)
        {
            int filled = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            length += filled;
            if (filled < buffer.Length) return (state.Finish(buffer.AsSpan(0, filled), stripes: true), length);
            state.Add(buffer);
        }
    }

    /// <summary>The running state: four accumulators over 32-byte stripes, and the bytes striped so far.</summary>
    internal struct State
    {
        private ulong _v1, _v2, _v3, _v4;
        private long _length;

        /// <summary>Consumes <paramref name="stripes"/>, whose length is a multiple of 32.</summary>
        public void Add(ReadOnlySpan<byte> stripes)
        {
            if (_length == 0) (_v1, _v2, _v3, _v4) = (unchecked(P1 + P2), P2, 0, unchecked(0 - P1));
            ulong v1 = _v1, v2 = _v2, v3 = _v3, v4 = _v4;
            for (int i = 0; i + 32 <= stripes.Length; i += 32)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(stripes[i..]));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(stripes[(i + 8)..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(stripes[(i + 16)..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(stripes[(i + 24)..]));
            }
            (_v1, _v2, _v3, _v4) = (v1, v2, v3, v4);
            _length += stripes.Length;
        }

        /// <summary>The digest after the last bytes, <paramref name="tail"/> (under 32 bytes, or any length with <paramref name="stripes"/>).</summary>
        public ulong Finish(ReadOnlySpan<byte> tail, bool stripes = false)
        {
            if (stripes)
            {
                Add(tail[..(tail.Length & ~31)]);
                tail = tail[(tail.Length & ~31)..];
            }
            ulong h;
            if (_length > 0)
            {
                h = BitOperations.RotateLeft(_v1, 1) + BitOperations.RotateLeft(_v2, 7) + BitOperations.RotateLeft(_v3, 12) + BitOperations.RotateLeft(_v4, 18);
                h = Merge(h, _v1);
                h = Merge(h, _v2);
                h = Merge(h, _v3);
                h = Merge(h, _v4);
            }
            else
            {
                h = P5;
            }
            h += (ulong)(_length + tail.Length);
            int i = 0;
            for (; i + 8 <= tail.Length; i += 8)
            {
                h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(tail[i..]));
                h = BitOperations.RotateLeft(h, 27) * P1 + P4;
            }
            if (i + 4 <= tail.Length)
            {
                h ^= BinaryPrimitives.ReadUInt32LittleEndian(tail[i..]) * P1;
                h = BitOperations.RotateLeft(h, 23) * P2 + P3;
                i += 4;
            }
            for (; i < tail.Length; i++)
            {
                h ^= tail[i] * P5;
                h = BitOperations.RotateLeft(h, 11) * P1;
            }
            h ^= h >> 33;
            h *= P2;
            h ^= h >> 29;
            h *= P3;
            h ^= h >> 32;
            return h;
        }
    }

    private static ulong Round(ulong accumulator, ulong input) => BitOperations.RotateLeft(accumulator + input * P2, 31) * P1;

    private static ulong Merge(ulong accumulator, ulong value) => (accumulator ^ Round(0, value)) * P1 + P4;
}
