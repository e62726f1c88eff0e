using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Strand.Compilation;

/// <summary>
/// A ReadyToRun (native code) image of a compiled module's code, kept next to its artifact: <c>ARTIFACT.r2r</c> is the
/// crossgen2 output (a PE assembly with IL and precompiled native code) and <c>ARTIFACT.r2r.check</c> binds it to the
/// artifact:
/// <code>
/// "STRANDR\x01"                       8 bytes, magic and format version
/// the artifact's checksum             32 bytes (its SHA-256 of wasm and IL image: this image was made from that one)
/// SHA-256 of the .r2r file            32 bytes
/// length of the .r2r file             8 bytes, little-endian
/// </code>
/// Both files are written to temporary names and renamed into place, the check last. An image whose check is missing,
/// belongs to another artifact, or does not hash to the recorded value is ignored (and deleted), never loaded; the
/// artifact's own IL is used instead. See docs/compiler.md, "ReadyToRun images".
/// </summary>
internal static class NativeImage
{
    private static ReadOnlySpan<byte> Magic => "STRANDR\u0001"u8;
    private const int CheckSize = 8 + 32 + 32 + 8;

    public static string ImagePath(string artifactPath) => artifactPath + ".r2r";
    public static string CheckPath(string artifactPath) => artifactPath + ".r2r.check";

    /// <summary>The verified image of the artifact at <paramref name="artifactPath"/> (whose checksum is <paramref name="artifactChecksum"/>), or null.</summary>
    public static string? TryFind(string artifactPath, ReadOnlySpan<byte> artifactChecksum)
    {
        string image = ImagePath(artifactPath), check = CheckPath(artifactPath);
        if (!File.Exists(check) && !File.Exists(image)) return null;
        try
        {
            var record = File.ReadAllBytes(check);
            if (record.Length == CheckSize && record.AsSpan(0, 8).SequenceEqual(Magic) && record.AsSpan(8, 32).SequenceEqual(artifactChecksum))
            {
                using var stream = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
                if (stream.Length == BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(72, 8)))
                {
                    Span<byte> hash = stackalloc byte[32];
                    SHA256.HashData(stream, hash);
                    if (hash.SequenceEqual(record.AsSpan(40, 32))) return Path.GetFullPath(image);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable (or being replaced): use the IL
        }
        Delete(artifactPath);
        return null;
    }

    /// <summary>Moves the crossgen2 output <paramref name="builtImage"/> into place next to the artifact, then writes its check.</summary>
    public static void Store(string artifactPath, ReadOnlySpan<byte> artifactChecksum, string builtImage)
    {
        var record = new byte[CheckSize];
        Magic.CopyTo(record);
        artifactChecksum.CopyTo(record.AsSpan(8, 32));
        using (var stream = File.OpenRead(builtImage))
        {
            SHA256.HashData(stream, record.AsSpan(40, 32));
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(72, 8), stream.Length);
        }
        string check = CheckPath(artifactPath), temporaryCheck = $"{check}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.Move(builtImage, ImagePath(artifactPath), overwrite: true);
        File.WriteAllBytes(temporaryCheck, record);
        File.Move(temporaryCheck, check, overwrite: true);
    }

    /// <summary>Deletes the image and its check, if present.</summary>
    public static void Delete(string artifactPath)
    {
        CompiledArtifact.TryDelete(CheckPath(artifactPath));
        CompiledArtifact.TryDelete(ImagePath(artifactPath));
    }
}
