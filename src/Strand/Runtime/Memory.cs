using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Strand.Binary;
using Strand.Runtime;

namespace Strand;

/// <summary>
/// A WebAssembly linear memory. Its bytes live in reserved address space that never moves:
/// growing commits more of the reservation, so the base address is fixed for the memory's life
/// and concurrent readers on other threads never see a stale buffer. Host accessors are
/// bounds-checked against the current length and throw <see cref="ArgumentOutOfRangeException"/>.
/// <para>
/// <see cref="Dispose"/> releases the memory's pages at once (a dropped memory is otherwise released by its finalizer;
/// its committed bytes count as GC memory pressure, so that happens in proportion to its size). Afterwards its length
/// is 0: guest accesses trap "out of bounds memory access", <c>memory.grow</c> fails, host accessors throw
/// <see cref="ObjectDisposedException"/>. Code still running on it cannot crash the process.
/// </para>
/// </summary>
public sealed unsafe class Memory : Extern, IDisposable
{
    /// <summary>The WebAssembly page size in bytes: 64 KiB (spec 2.5.5, "Memories").</summary>
    public const int PageSize = 65536;
    /// <summary>The largest number of pages a 32-bit memory can have (4 GiB).</summary>
    public const uint MaxPages = 65536;

    private readonly AddressSpaceReservation _reservation;
    private readonly object _growLock = new();
    private bool _disposed;
    private ParkingLot? _parkingLot;

    /// <summary>Waiters of memory.atomic.wait on this memory (created on first use).</summary>
    internal ParkingLot ParkingLot
    {
        get
        {
            var lot = Volatile.Read(ref _parkingLot);
            if (lot is not null) return lot;
            Interlocked.CompareExchange(ref _parkingLot, new ParkingLot(), null);
            return _parkingLot!;
        }
    }

    /// <summary>First byte of the memory. Never changes. Read by compiled code.</summary>
    internal readonly nint BaseAddress;

    /// <summary>Current length in bytes; only grows; published with a volatile write after the pages are committed.</summary>
    internal long LengthInBytes;

    /// <summary>A memory with the limits, sharing and address type of <paramref name="type"/>; see <see cref="Memory(ulong, ulong?, bool, bool)"/>.</summary>
    public Memory(MemoryType type) : this(type.Limits.Min, type.Limits.Max, type.Shared, type.Limits.Is64) { }

    /// <summary>A linear memory of <paramref name="minPages"/> zeroed pages that may grow to <paramref name="maxPages"/> (null: 65536 pages, 4 GiB). The address space for the maximum is reserved at once and committed as the memory grows, so the memory never moves. A shared memory (threads proposal) needs a maximum.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a limit above 65536 pages, or the maximum below the minimum</exception><exception cref="ArgumentException">shared without a maximum</exception><exception cref="OutOfMemoryException">the initial pages cannot be committed</exception>
    public Memory(uint minPages, uint? maxPages = null, bool shared = false) : this(minPages, maxPages, shared, is64: false) { }

    /// <summary>
    /// A linear memory of <paramref name="minPages"/> zeroed 64 KiB pages that may grow to <paramref name="maxPages"/>, with
    /// 32-bit addresses (at most 65536 pages, 4 GiB; no maximum means 65536) or, when <paramref name="is64"/>, 64-bit addresses
    /// (memory64: limits up to 2^48 pages). Address space for the largest size the memory can reach is reserved at once and
    /// committed as it grows, so the memory never moves: a 32-bit memory reserves its maximum (4 GiB without one), a 64-bit one
    /// its maximum capped at <see cref="MaxPages64"/> pages (64 GiB): such a memory cannot grow beyond that (<c>memory.grow</c>
    /// returns -1), an implementation limit the spec allows.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">a limit above the address type's bound, or the maximum below the minimum</exception>
    /// <exception cref="ArgumentException">shared without a maximum</exception>
    /// <exception cref="WasmImplementationLimitException">a 64-bit memory whose minimum is above <see cref="MaxPages64"/> (an instantiation
    /// that needs one fails with it, as for a too-big table: exit code 1 in the CLI, never a trap)</exception>
    /// <exception cref="OutOfMemoryException">the address space cannot be reserved or the initial pages cannot be committed</exception>
    public Memory(ulong minPages, ulong? maxPages, bool shared, bool is64)
    {
        ulong bound = is64 ? MaxPages64Spec : MaxPages;
        if (minPages > bound) throw new ArgumentOutOfRangeException(nameof(minPages), $"a {(is64 ? "64" : "32")}-bit memory has at most {bound} pages");
        if (maxPages is { } mx && (mx > bound || mx < minPages))
            throw new ArgumentOutOfRangeException(nameof(maxPages), $"maximum must be between the minimum and {bound} pages");
        if (shared && maxPages is null) throw new ArgumentException("a shared memory must have a maximum", nameof(maxPages));
        MaximumPages = maxPages;
        Shared = shared;
        Is64 = is64;
        ulong reservable = is64 ? Math.Min(maxPages ?? MaxPages64, MaxPages64) : maxPages ?? MaxPages;
        if (minPages > reservable)
            throw new WasmImplementationLimitException(
                $"a 64-bit memory of {minPages} pages: Strand creates memories of at most {MaxPages64} pages (64 GiB)");
        _reservablePages = reservable;
        _reservation = AddressSpaceReservation.Reserve((nuint)reservable * PageSize);
        BaseAddress = _reservation.Address;
        if (!_reservation.Commit(0, (nuint)minPages * PageSize))
            throw new OutOfMemoryException($"cannot commit {minPages} pages of linear memory");
        Volatile.Write(ref LengthInBytes, (long)minPages * PageSize);
    }

    /// <summary>The most pages a 64-bit memory can reach in Strand (2^20 pages, 64 GiB of reserved address space): an implementation limit.</summary>
    public const ulong MaxPages64 = 1UL << 20;
    /// <summary>The spec's bound on a 64-bit memory's limits: 2^48 pages (2^64 bytes).</summary>
    private const ulong MaxPages64Spec = 1UL << 48;
    private readonly ulong _reservablePages;

    /// <summary>Declared maximum in pages, or null when there is none (a 32-bit memory may then grow to 4 GiB, a 64-bit one to <see cref="MaxPages64"/> pages).</summary>
    public ulong? MaximumPages { get; }
    /// <summary>True for a shared memory (threads proposal): several threads may use it, atomics and wait/notify apply.</summary>
    public bool Shared { get; }
    /// <summary>True for a memory with 64-bit addresses (memory64): i64 addresses, sizes and <c>memory.grow</c> deltas.</summary>
    public bool Is64 { get; }

    /// <summary>Current size in bytes.</summary>
    public long Length => Volatile.Read(ref LengthInBytes);

    /// <summary>Current size in 64 KiB pages (below 2^32: Strand's memories are at most 64 GiB).</summary>
    public uint Pages => (uint)(Length / PageSize);

    /// <summary>The memory's current type: the current size as minimum, the declared maximum, sharing and address type.</summary>
    public MemoryType Type => new(new Limits(Pages, MaximumPages, Shared, Is64));

    /// <summary>Always <see cref="ExternalKind.Memory"/>.</summary>
    public override ExternalKind Kind => ExternalKind.Memory;

    /// <summary>The memory type in text-format style, for diagnostics.</summary>
    public override string DescribeType() => TypeText.Describe(Type);

    /// <summary>The fixed address of byte 0 (valid as long as this object is alive).</summary>
    public nint BasePointer => BaseAddress;

    /// <summary>Grows by <paramref name="deltaPages"/>; returns the previous size in pages, or -1 if the memory cannot grow that much.</summary>
    public int Grow(uint deltaPages) => (int)Grow64(deltaPages);

    /// <summary>
    /// Grows by <paramref name="deltaPages"/> (memory.grow of either address type); returns the previous size in pages, or -1 if the
    /// memory cannot grow that much (beyond its maximum, the address space reserved for it, or what the system commits).
    /// </summary>
    public long Grow64(ulong deltaPages)
    {
        lock (_growLock)
        {
            if (_disposed) return -1;
            long oldLength = LengthInBytes;
            ulong oldPages = (ulong)oldLength / PageSize;
            if (deltaPages == 0) return (long)oldPages;
            if (deltaPages > _reservablePages) return -1;
            ulong newPages = oldPages + deltaPages;
            if (newPages > _reservablePages || (MaximumPages is { } max && newPages > max)) return -1;
            long newLength = (long)newPages * PageSize;
            if (!_reservation.Commit((nuint)oldLength, (nuint)(newLength - oldLength))) return -1;
            Volatile.Write(ref LengthInBytes, newLength);
            return (long)oldPages;
        }
    }

    /// <summary>A view of [address, address + length). Invalid once this Memory is unreachable.</summary>
    public Span<byte> GetSpan(long address, int length)
    {
        CheckRange(address, length);
        return new Span<byte>((byte*)BaseAddress + address, length);
    }

    /// <summary>Reads the byte at <paramref name="address"/> (a byte offset).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public byte ReadByte(long address) => *Pointer(address, 1);
    /// <summary>Reads a little-endian 16-bit integer at <paramref name="address"/> (no alignment needed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public short ReadInt16(long address) => BinaryPrimitives.ReadInt16LittleEndian(new ReadOnlySpan<byte>(Pointer(address, 2), 2));
    /// <summary>Reads a little-endian 32-bit integer at <paramref name="address"/> (no alignment needed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public int ReadInt32(long address) => BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(Pointer(address, 4), 4));
    /// <summary>Reads a little-endian 64-bit integer at <paramref name="address"/> (no alignment needed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public long ReadInt64(long address) => BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(Pointer(address, 8), 8));
    /// <summary>Reads a little-endian IEEE 754 binary32 at <paramref name="address"/>, bits preserved (NaN payloads included).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public float ReadSingle(long address) => BitConverter.Int32BitsToSingle(ReadInt32(address));
    /// <summary>Reads a little-endian IEEE 754 binary64 at <paramref name="address"/>, bits preserved (NaN payloads included).</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public double ReadDouble(long address) => BitConverter.Int64BitsToDouble(ReadInt64(address));

    /// <summary>Copies <paramref name="count"/> bytes starting at <paramref name="address"/> into a new array.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public byte[] ReadBytes(long address, int count) => GetSpan(address, count).ToArray();

    /// <summary>Writes one byte at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteByte(long address, byte value) => *Pointer(address, 1) = value;
    /// <summary>Writes a little-endian 16-bit integer at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteInt16(long address, short value) => BinaryPrimitives.WriteInt16LittleEndian(new Span<byte>(Pointer(address, 2), 2), value);
    /// <summary>Writes a little-endian 32-bit integer at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteInt32(long address, int value) => BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(Pointer(address, 4), 4), value);
    /// <summary>Writes a little-endian 64-bit integer at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteInt64(long address, long value) => BinaryPrimitives.WriteInt64LittleEndian(new Span<byte>(Pointer(address, 8), 8), value);
    /// <summary>Writes a little-endian IEEE 754 binary32 at <paramref name="address"/>, bits preserved.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteSingle(long address, float value) => WriteInt32(address, BitConverter.SingleToInt32Bits(value));
    /// <summary>Writes a little-endian IEEE 754 binary64 at <paramref name="address"/>, bits preserved.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteDouble(long address, double value) => WriteInt64(address, BitConverter.DoubleToInt64Bits(value));

    /// <summary>Copies <paramref name="bytes"/> to the memory starting at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the range is outside the memory</exception><exception cref="ObjectDisposedException">the memory was disposed</exception>
    public void WriteBytes(long address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(GetSpan(address, bytes.Length));

    /// <summary>Reads a NUL-terminated or length-limited UTF-8 string (host convenience).</summary>
    public string ReadUtf8(long address, int length) => System.Text.Encoding.UTF8.GetString(GetSpan(address, length));

    private byte* Pointer(long address, int size)
    {
        CheckRange(address, size);
        return (byte*)BaseAddress + address;
    }

    private void CheckRange(long address, int length)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), "length must not be negative");
        long current = Length;
        if (address < 0 || address > current - length)
            throw new ArgumentOutOfRangeException(nameof(address),
                $"range [{address}, {address}+{length}) is outside the memory (length {current} bytes)");
    }

    // ---- used by compiled code and instantiation (wasm semantics: traps, not argument exceptions) ----

    /// <summary>True when [address, address + length) lies inside the memory (unsigned 64-bit arithmetic that cannot wrap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool InBounds(ulong address, ulong length)
    {
        ulong current = (ulong)Volatile.Read(ref LengthInBytes);
        return address <= current && length <= current - address;
    }

    internal void Fill(ulong destination, byte value, ulong count)
    {
        if (!InBounds(destination, count)) throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
        NativeMemory.Fill((byte*)BaseAddress + destination, (nuint)count, value);
    }

    internal static void Copy(Memory destinationMemory, ulong destination, Memory sourceMemory, ulong source, ulong count)
    {
        if (!destinationMemory.InBounds(destination, count) || !sourceMemory.InBounds(source, count))
            throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
        // NativeMemory.Copy has memmove semantics: overlapping ranges are handled.
        NativeMemory.Copy((byte*)sourceMemory.BaseAddress + source, (byte*)destinationMemory.BaseAddress + destination, (nuint)count);
    }

    internal void Initialize(ulong destination, ReadOnlySpan<byte> segment, ulong sourceOffset, ulong count)
    {
        if (sourceOffset > (ulong)segment.Length || count > (ulong)segment.Length - sourceOffset || !InBounds(destination, count))
            throw new TrapException(TrapCode.OutOfBoundsMemoryAccess);
        segment.Slice((int)sourceOffset, (int)count).CopyTo(new Span<byte>((byte*)BaseAddress + destination, (int)count));
    }

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>
    /// Releases the memory's pages now and its address space (deterministically when no other reference keeps the
    /// reservation's handle in use). The length becomes 0 first, so guest code on any thread traps at its next access
    /// instead of using freed memory; the pages stay mapped (as zeros) until the reservation is released, so a function
    /// that cached the old length before the call still cannot fault. Idempotent.
    /// </summary>
    public void Dispose()
    {
        long length;
        lock (_growLock)
        {
            if (_disposed) return;
            _disposed = true;
            length = LengthInBytes;
            Volatile.Write(ref LengthInBytes, 0);
        }
        _reservation.Discard((nuint)length);
    }

    /// <summary>The memory in text-format style: "memory N pages (max M) shared".</summary>
    public override string ToString() => $"memory{(Is64 ? " i64" : "")} {Pages} pages{(MaximumPages is { } m ? $" (max {m})" : "")}{(Shared ? " shared" : "")}";
}
