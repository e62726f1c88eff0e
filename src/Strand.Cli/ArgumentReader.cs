using System.Globalization;

namespace Strand.Cli;

/// <summary>A small, strict argument reader: options are --name VALUE or --name=VALUE; "--" ends options.</summary>
public sealed class ArgumentReader
{
    private readonly List<string> _args;

    public ArgumentReader(IEnumerable<string> args) => _args = args.ToList();

    /// <summary>Arguments after a literal "--", removed from the option list.</summary>
    public List<string> TakeTrailing()
    {
        int i = _args.IndexOf("--");
        if (i < 0) return new List<string>();
        var trailing = _args.Skip(i + 1).ToList();
        _args.RemoveRange(i, _args.Count - i);
        return trailing;
    }

    public bool TakeFlag(string name) => _args.Remove(name);

    public string? TakeOption(string name)
    {
        for (int i = 0; i < _args.Count; i++)
        {
            if (_args[i] == name)
            {
                if (i + 1 >= _args.Count) throw new UsageException($"{name} needs a value");
                string value = _args[i + 1];
                _args.RemoveRange(i, 2);
                return value;
            }
            if (_args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                string value = _args[i][(name.Length + 1)..];
                _args.RemoveAt(i);
                return value;
            }
        }
        return null;
    }

    public List<string> TakeAll(string name)
    {
        var values = new List<string>();
        while (TakeOption(name) is { } v) values.Add(v);
        return values;
    }

    public int? TakeInt(string name, int min, int max)
    {
        var text = TakeOption(name);
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new UsageException($"{name} must be an integer in [{min}, {max}], got '{text}'");
        return value;
    }

    /// <summary>Sizes like 65536, 64k, 1m, 2MiB (bytes; k, m, g are powers of 1024); at most <see cref="long.MaxValue"/>.</summary>
    public static long ParseSize(string text, string optionName)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t.EndsWith("ib", StringComparison.Ordinal)) t = t[..^2];
        else if (t.EndsWith('b')) t = t[..^1];
        long multiplier = 1;
        if (t.EndsWith('k')) { multiplier = 1024; t = t[..^1]; }
        else if (t.EndsWith('m')) { multiplier = 1024 * 1024; t = t[..^1]; }
        else if (t.EndsWith('g')) { multiplier = 1024L * 1024 * 1024; t = t[..^1]; }
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
            throw new UsageException($"{optionName}: cannot read size '{text}' (examples: 65536, 64k, 1m)");
        if (n > long.MaxValue / multiplier) throw new UsageException($"{optionName}: size '{text}' is too large");
        return n * multiplier;
    }

    /// <summary>
    /// <c>--stack-size SIZE</c>, the same rule for every command: a shadow stack lives in a 32-bit memory, so the size
    /// must be below 4 GiB. Null when the option is absent.
    /// </summary>
    public uint? TakeStackSize()
    {
        string? text = TakeOption("--stack-size");
        if (text is null) return null;
        long size = ParseSize(text, "--stack-size");
        if (size >= uint.MaxValue) throw new UsageException($"--stack-size must be below 4 GiB (a 32-bit memory), got '{text}'");
        return (uint)size;
    }

    /// <summary>Positional arguments left after the options were taken.</summary>
    public IReadOnlyList<string> Remaining => _args;

    public void EnsureNoOptionsLeft()
    {
        var unknown = _args.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal));
        if (unknown is not null) throw new UsageException($"unknown option '{unknown}'");
    }
}
