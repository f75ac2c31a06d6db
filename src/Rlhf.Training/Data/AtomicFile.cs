using System.Security.Cryptography;

namespace Rlhf.Training.Data;

/// <summary>
/// Crash-safe file replacement: bytes go to <c>path.tmp-&lt;random&gt;</c> in the same directory, are flushed to
/// disk, then renamed over <c>path</c>, so a crash leaves either the old file or the new one (the directory entry
/// itself is not fsynced). The temporary file is deleted on failure.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
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
}
