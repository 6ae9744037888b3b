namespace Transport.Bench.Tour;

/// <summary>How a target came out in one tour run.</summary>
internal enum TargetStatus
{
    /// <summary>Measured and reached.</summary>
    Met,

    /// <summary>Measured and not reached.</summary>
    Missed,

    /// <summary>Its section ran but a figure it needs is missing (a contender unavailable or failed).</summary>
    NotMeasurable,

    /// <summary>Its section did not run (<c>--only</c>).</summary>
    NotMeasured,
}
