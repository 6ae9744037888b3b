namespace Transport.Bench.Tour;

/// <summary>Whether a contender can run here; <see cref="Reason"/> says why not (printed in the tables).</summary>
internal readonly record struct ContenderAvailability(bool IsAvailable, string? Reason)
{
    /// <summary>The contender runs.</summary>
    public static ContenderAvailability Available => new(true, null);

    /// <summary>The contender does not run, for <paramref name="reason"/>.</summary>
    public static ContenderAvailability Unavailable(string reason) => new(false, reason);
}
