namespace Transport.Interop.Matrix;

/// <summary>A finished (or partial) matrix: the rows, the columns and every cell.</summary>
public sealed class MatrixResult
{
    /// <summary>Rows, in order.</summary>
    public required IReadOnlyList<MatrixTestCase> Tests { get; init; }

    /// <summary>Columns, in order.</summary>
    public required IReadOnlyList<MatrixPair> Pairs { get; init; }

    /// <summary>Cells run so far.</summary>
    public List<CellResult> Cells { get; } = [];

    /// <summary>Whether this was the quick variant.</summary>
    public bool Quick { get; init; }

    /// <summary>The seed.</summary>
    public int Seed { get; init; }

    /// <summary>Start time (UTC).</summary>
    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Notes shown under the table (tshark missing, compliance probe results...).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The cell of <paramref name="test"/> × <paramref name="pair"/>, or null when not run.</summary>
    public CellResult? Cell(string test, string pair) => Cells.Find(c => c.Test == test && c.Pair == pair);
}
