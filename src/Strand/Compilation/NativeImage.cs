using System.Buffers.Binary;

namespace Strand.Compilation;

/// <summary>
/// A ReadyToRun (native code) image of a compiled module's code, kept next to its artifact: <c>ARTIFACT.r2r</c> is the
/// crossgen2 output (a PE assembly with IL and precompiled native code) and <c>ARTIFACT.r2r.check</c> binds it to the
/// artifact:
/// <code>
/// "STRANDR\x02"                       8 bytes, magic and format version
/// the artifact's checksum             8 bytes (its XXH64 of wasm and IL image: this image was made from that one)
/// XXH64 of the .r2r file              8 bytes, little-endian
/// length of the .r2r file             8 bytes, little-endian
/// </code>
/// Both files are written to temporary names and renamed into place, the check last. An image whose check is missing,
/// belongs to another artifact, or does not hash to the recorded value is ignored (and deleted), never loaded; the
/// artifact's own IL is used instead. See docs/compiler.md, "ReadyToRun images".
/// </summary>
internal static class NativeImage
{
    private static ReadOnlySpan<byte> Magic => "STRANDR\u0002"u8;
    private const int CheckSize = 8 + 8 + 8 + 8;

    public static string ImagePath(string artifactPath) => artifactPath + ".r2r";
    public static string CheckPath(string artifactPath) => artifactPath + ".r2r.check";

    /// <summary>The verified image of the artifact at <paramref name="artifactPath"/> (whose checksum is <paramref name="artifactChecksum"/>), or null.</summary>
    public static string? TryFind(string artifactPath, ReadOnlySpan<byte> artifactChecksum)
    {
        string image = ImagePath(artifactPath), check = CheckPath(artifactPath);
        if (!File.Exists(check) && !File.Exists(image)) return null;
        try
        {
            // Only regular files are opened (reading a FIFO blocks until a writer comes); anything else is no image.
            if (!CompiledArtifact.IsRegularFile(check) || !CompiledArtifact.IsRegularFile(image)) return null;
            var record = File.ReadAllBytes(check);
            if (record.Length == CheckSize && record.AsSpan(0, 8).SequenceEqual(Magic) && record.AsSpan(8, 8).SequenceEqual(artifactChecksum)
                && new FileInfo(image).Length == BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(24, 8)))
            {
                var (hash, length) = XxHash64.HashFile(image);
                if (length == BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(24, 8)) && hash == BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(16, 8)))
                    return Path.GetFullPath(image);
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
        artifactChecksum.CopyTo(record.AsSpan(8, 8));
        var (hash, length) = XxHash64.HashFile(builtImage);
        BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(16, 8), hash);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(24, 8), length);
        // The temporary check has a short name of its own (one named after a long artifact name would not fit), marked as a
        // temporary of the cache (ModuleCache.Trim).
        string check = CheckPath(artifactPath);
        string temporaryCheck = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(check))!, $"{Guid.NewGuid():N}{ModuleCache.Extension}.r2r.check.{Environment.ProcessId}.tmp");
        File.Move(builtImage, ImagePath(artifactPath), overwrite: true);
        try
        {
            File.WriteAllBytes(temporaryCheck, record);
            File.Move(temporaryCheck, check, overwrite: true);
        }
        finally
        {
            CompiledArtifact.TryDelete(temporaryCheck); // a failed write or rename leaves no temporary behind
        }
    }

    /// <summary>Deletes the image and its check, if present.</summary>
    public static void Delete(string artifactPath)
    {
        CompiledArtifact.TryDelete(CheckPath(artifactPath));
        CompiledArtifact.TryDelete(ImagePath(artifactPath));
    }
}
