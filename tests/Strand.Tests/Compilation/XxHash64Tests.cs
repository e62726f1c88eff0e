using Strand.Compilation;
using Xunit;

namespace Strand.Tests.Compilation;

public class XxHash64Tests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strand-xxh64-" + Guid.NewGuid().ToString("N"));

    public XxHash64Tests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Every length around the 4-, 8- and 32-byte steps of the algorithm, and big ones, against the reference XXH64.</summary>
    [Fact]
    public void MatchesTheReferenceXxHash64()
    {
        var random = new Random(1234);
        var data = new byte[3 * (1 << 20) + 77];
        random.NextBytes(data);
        foreach (int length in Enumerable.Range(0, 200).Concat([1000, 4095, 4096, 65_537, 1 << 20, (1 << 20) + 31, (1 << 20) + 32, data.Length]))
        {
            var slice = data.AsSpan(0, length);
            Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(slice), XxHash64.Hash(slice));
        }
        Assert.Equal(0xEF46DB3751D8E999UL, XxHash64.Hash([])); // the specification's digest of no bytes
    }

    /// <summary>Files are hashed in 1 MiB blocks: lengths below, at and above block multiples give the same digest as the whole.</summary>
    [Fact]
    public void AFileHashesLikeItsBytes()
    {
        var random = new Random(99);
        foreach (int length in new[] { 0, 1, 31, 32, 33, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 2 * (1 << 20) + 40 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            string path = Path.Combine(_directory, $"f{length}");
            File.WriteAllBytes(path, data);
            Assert.Equal((System.IO.Hashing.XxHash64.HashToUInt64(data), (long)length), XxHash64.HashFile(path));
        }
    }
}
