using System.Security.Cryptography;

namespace Rlhf.Feedback.Storage;

/// <summary>The labelers' part of the store: creating them, tokens, revocation and rotation.</summary>
public sealed partial class FeedbackStore
{
    /// <summary>
    /// Creates a labeler and returns it with its token: 32 random bytes, base64url. Only the token's SHA-256 is
    /// stored, so the token is shown once and a stolen database file does not hold usable tokens.
    /// </summary>
    public (Labeler Labeler, string Token) AddLabeler(string name, bool isAdmin = false)
    {
        name = CheckName(name);
        string token = NewToken();
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            if (Scalar(c, tx, "SELECT id FROM labelers WHERE name = @n", ("@n", name)) is not null)
                throw new FeedbackException(FeedbackError.Conflict, $"a labeler named '{name}' already exists");
            long id = (long)Scalar(c, tx, "INSERT INTO labelers(name, token_sha256, is_admin, created_utc) VALUES(@n, @t, @a, @c) RETURNING id",
                ("@n", name), ("@t", Sha256(token)), ("@a", isAdmin ? 1 : 0), ("@c", Now()))!;
            tx.Commit();
            return (new Labeler(id, name, isAdmin), token);
        }
    }

    /// <summary>The labeler whose token this is; throws <see cref="FeedbackError.Unauthorized"/> for a missing, unknown or revoked token.</summary>
    public Labeler Authenticate(string? token)
    {
        if (string.IsNullOrEmpty(token))
            throw new FeedbackException(FeedbackError.Unauthorized, "missing labeler token: send 'Authorization: Bearer <token>' (tokens come from 'rlhf label add-labeler')");
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT id, name, is_admin, revoked_utc FROM labelers WHERE token_sha256 = @t", ("@t", Sha256(token)));
        using var r = cmd.ExecuteReader();
        if (!r.Read()) throw new FeedbackException(FeedbackError.Unauthorized, "unknown labeler token (ask for one made by 'rlhf label add-labeler')");
        if (!r.IsDBNull(3)) throw new FeedbackException(FeedbackError.Unauthorized, $"{r.GetString(1)}'s access was revoked {r.GetString(3)} ('rlhf label rotate-token' gives a new token)");
        return new Labeler(r.GetInt64(0), r.GetString(1), r.GetInt64(2) != 0);
    }

    /// <summary>
    /// Revokes <paramref name="name"/>'s token at once: every later request with it is 401, and the tasks they held
    /// are released to others. Their labels stay (export can leave them out by quality). <see cref="RotateToken"/>
    /// re-admits them with a new token. Returns the number of leases released.
    /// </summary>
    public int RevokeLabeler(string name)
    {
        name = CheckName(name);
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            long id = FindLabeler(c, tx, name);
            Execute(c, tx, "UPDATE labelers SET revoked_utc = @now WHERE id = @id", ("@now", Now()), ("@id", id));
            int released = Convert.ToInt32(Scalar(c, tx, "SELECT COUNT(*) FROM leases WHERE labeler_id = @id", ("@id", id)), System.Globalization.CultureInfo.InvariantCulture);
            Execute(c, tx, "DELETE FROM leases WHERE labeler_id = @id", ("@id", id));
            tx.Commit();
            return released;
        }
    }

    /// <summary>
    /// Gives <paramref name="name"/> a new token (the old one stops working at once) and lifts a revocation: for a
    /// token that leaked, or a labeler re-admitted. Returns the new token (shown once).
    /// </summary>
    public string RotateToken(string name)
    {
        name = CheckName(name);
        string token = NewToken();
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            long id = FindLabeler(c, tx, name);
            Execute(c, tx, "UPDATE labelers SET token_sha256 = @t, revoked_utc = NULL WHERE id = @id", ("@t", Sha256(token)), ("@id", id));
            tx.Commit();
            return token;
        }
    }

    /// <summary>Whether some admin labeler can sign in (exists and is not revoked): a server reachable from the network needs one.</summary>
    public bool HasActiveAdmin()
    {
        using var c = Connect();
        return Scalar(c, null, "SELECT id FROM labelers WHERE is_admin = 1 AND revoked_utc IS NULL LIMIT 1") is not null;
    }

    private static long FindLabeler(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string name) =>
        Scalar(c, tx, "SELECT id FROM labelers WHERE name = @n", ("@n", name)) as long?
        ?? throw new FeedbackException(FeedbackError.NotFound, $"no labeler named '{name}'");

    private static string CheckName(string name)
    {
        name = (name ?? "").Trim();
        return name.Length is 0 or > 64 || name.Any(char.IsControl)
            ? throw new FeedbackException(FeedbackError.Invalid, "labeler name must be 1 to 64 printable characters") : name;
    }

    private static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));
}
