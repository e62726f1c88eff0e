namespace Strand.Binary;

/// <summary>
/// A growable array: the part of <see cref="List{T}"/> the validator's stacks use (add, index, remove at the end).
/// It exists for startup time: the tool's engine is ReadyToRun-compiled, but <see cref="List{T}"/> instantiated over the
/// engine's value types (<see cref="ValType"/>) is outside ReadyToRun's version bubble, so its methods ran as tier-0
/// JIT code (not inlined, each element access a call) through every body's validation at startup. This type is the
/// engine's own, so its instantiations are precompiled and inlined (docs/compiler.md, "Startup").
/// </summary>
internal sealed class ValueList<T>
{
    private T[] _items;
    private int _count;

    /// <summary>An empty list with room for <paramref name="capacity"/> items before it grows.</summary>
    public ValueList(int capacity = 8) => _items = new T[Math.Max(capacity, 1)];

    /// <summary>The number of items.</summary>
    public int Count => _count;

    /// <summary>The item at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>, else <see cref="ArgumentOutOfRangeException"/>).</summary>
    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) ThrowIndex();
            return _items[index];
        }
    }

    /// <summary>Appends <paramref name="item"/>, doubling the storage when full.</summary>
    public void Add(T item)
    {
        if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[_count++] = item;
    }

    /// <summary>Removes the item at <paramref name="index"/>, moving the later ones down.</summary>
    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)_count) ThrowIndex();
        _count--;
        if (index < _count) Array.Copy(_items, index + 1, _items, index, _count - index);
    }

    /// <summary>Removes <paramref name="count"/> items from <paramref name="index"/> on (both within the list, else <see cref="ArgumentOutOfRangeException"/>).</summary>
    public void RemoveRange(int index, int count)
    {
        if (index < 0 || count < 0 || index > _count - count) ThrowIndex();
        if (index + count < _count) Array.Copy(_items, index + count, _items, index, _count - index - count);
        _count -= count;
    }

    private static void ThrowIndex() => throw new ArgumentOutOfRangeException("index");
}
