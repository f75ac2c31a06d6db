using System.Security.Cryptography;
using System.Text;

namespace Rlhf.Feedback.Quality;

/// <summary>
/// The order the page shows a task's completions to one labeler: a per-(task, labeler) shuffle, so no completion is
/// always seen first, and reproducible, so position bias can be measured afterwards without storing it.
/// </summary>
public static class DisplayOrder
{
    /// <summary>Completion indices 0..<paramref name="k"/>-1 in the order labeler <paramref name="labelerId"/> sees task <paramref name="taskId"/>.</summary>
    public static List<int> Of(long taskId, long labelerId, int k) =>
        [.. Enumerable.Range(0, k).OrderBy(i => BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{taskId}/{labelerId}/{i}"))))];
}
