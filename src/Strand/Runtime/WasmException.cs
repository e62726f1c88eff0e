using Strand.Binary;

namespace Strand.Runtime;

/// <summary>
/// A WebAssembly exception (exception handling): thrown by <c>throw</c>/<c>throw_ref</c> in guest code, or by a host
/// function, and caught by <c>try_table</c> (or the legacy <c>try</c>) clauses naming its <see cref="Tag"/>, or by
/// <c>catch_all</c>. One that no guest handler catches reaches the host caller of <c>Instance.Invoke</c> or a typed
/// delegate as this exception. It is distinct from a trap (<see cref="TrapException"/>): guest code never catches a
/// trap. As an <c>exnref</c> value it is this object (<see cref="Value.Reference"/>).
/// </summary>
public sealed class WasmException : Exception
{
    /// <summary>An exception of <paramref name="tag"/> with <paramref name="payload"/>, which must match the tag's parameter types.</summary>
    /// <exception cref="ArgumentException">The payload does not match the tag's type.</exception>
    public WasmException(Tag tag, params Value[] payload) : base(Describe(tag, payload))
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(payload);
        var types = tag.Type.Params;
        if (payload.Length != types.Length)
            throw new ArgumentException($"the tag's payload is {types.Length} value(s) [{string.Join(" ", types.Select(t => t.ToWat()))}], got {payload.Length}", nameof(payload));
        for (int i = 0; i < types.Length; i++)
        {
            if (ValueTypeCheck.Mismatch(payload[i], types[i]) is { } reason)
                throw new ArgumentException($"payload value {i} does not match the tag's type ({reason})", nameof(payload));
        }
        Tag = tag;
        Payload = (Value[])payload.Clone();
    }

    /// <summary>Thrown by compiled code: the payload is already typed.</summary>
    internal WasmException(Tag tag, Value[] payload, bool trusted) : base(Describe(tag, payload))
    {
        Tag = tag;
        Payload = payload;
    }

    private static string Describe(Tag? tag, Value[]? payload) =>
        $"uncaught wasm exception ({tag?.DescribeType()}{(payload is { Length: > 0 } ? ": " + string.Join(", ", payload) : "")})";

    /// <summary>The exception's tag.</summary>
    public Tag Tag { get; }

    /// <summary>The payload values, in the order of the tag's parameters.</summary>
    public IReadOnlyList<Value> Payload { get; }

    internal Value[] PayloadArray => (Value[])Payload;
}
