using System.Security.Cryptography;
using System.Text;

namespace Rlhf.Tensors.Serialization;

/// <summary>
/// Crash-safe file replacement, used by every save in the project (weights, tokenizers, configs, JSONL, metrics):
/// bytes go to <c>path.tmp-&lt;random&gt;</c> in the same directory, are flushed to disk, then renamed over
/// <c>path</c>, so a crash leaves either the old file or the new one (the directory entry itself is not fsynced).
/// The temporary file is deleted on failure.
/// </summary>
public static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes.</summary>
    public static void Write(string path, Action<FileStream> write, int bufferSize = 1 << 16)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8, no BOM).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, fs => fs.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text)));
}
