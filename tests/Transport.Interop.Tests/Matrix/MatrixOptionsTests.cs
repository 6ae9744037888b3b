using Transport.Interop.Matrix;

namespace Transport.Interop.Tests.Matrix;

public sealed class MatrixOptionsTests
{
    [Fact]
    public void Defaults_are_all_peers_and_every_test()
    {
        MatrixOptions o = MatrixOptions.Parse([]);
        Assert.Equal(["all"], o.Peers);
        Assert.False(o.Quick);
        Assert.Null(o.Seed);
        Assert.Equal(MatrixCatalogue.All.Count, o.SelectedCases().Count);
    }

    [Fact]
    public void Parses_peers_cases_by_name_or_letters_seed_and_flags()
    {
        MatrixOptions o = MatrixOptions.Parse(["--peer", "ngtcp2", "--case", "handshake", "DC", "c20", "--quick", "--seed", "42", "--keep", "--out", "x", "--expected", "e.json"]);
        Assert.Equal(["ngtcp2"], o.Peers);
        Assert.Equal(["handshake", "transfer", "chacha20"], o.Cases);
        Assert.True(o.Quick);
        Assert.True(o.KeepArtifacts);
        Assert.Equal(42, o.Seed);
        Assert.Equal("x", o.OutputDirectory);
        Assert.Equal("e.json", o.ExpectedPath);
        Assert.Equal(["handshake", "transfer", "chacha20"], o.SelectedCases().Select(t => t.Name));
    }

    [Fact]
    public void Inline_values_and_comma_lists_work()
    {
        MatrixOptions o = MatrixOptions.Parse(["--peer=self", "--case=retry,zerortt", "--seed=7"]);
        Assert.Equal(["self"], o.Peers);
        Assert.Equal(["retry", "zerortt"], o.Cases);
        Assert.Equal(7, o.Seed);
    }

    [Theory]
    [InlineData("--peer", "quiche")]
    [InlineData("--case", "nosuchtest")]
    [InlineData("--seed", "abc")]
    [InlineData("--frobnicate")]
    [InlineData("--seed")]
    [InlineData("--case")]
    public void Bad_arguments_throw_and_name_the_problem(params string[] args)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => MatrixOptions.Parse(args));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void Quick_selects_the_ci_subset_with_a_fixed_seed()
    {
        MatrixOptions o = MatrixOptions.Parse(["--quick"]);
        string[] quick = ["handshake", "transfer", "multiplexing", "retry", "resumption", "zerortt", "http3", "chacha20", "keyupdate",
            "transferloss", "transfercorruption", "amplificationlimit", "v2"];
        Assert.Equal(quick.Order(), o.SelectedCases().Select(t => t.Name).Order());
        Assert.Equal(1, o.EffectiveSeed(() => 99));
        Assert.Equal(99, MatrixOptions.Parse([]).EffectiveSeed(() => 99));
        // small files in the quick variant
        Assert.True(MatrixCatalogue.Find("transfer")!.SizesFor(quick: true).Sum() < MatrixCatalogue.Find("transfer")!.SizesFor(quick: false).Sum() / 5);
    }

    [Fact]
    public void A_foreign_peer_gives_four_columns_including_the_reference()
    {
        IReadOnlyList<MatrixPair> pairs = MatrixPair.ForPeers(["ngtcp2"]);
        Assert.Equal(["ours-ngtcp2", "ngtcp2-ours", "ours-ours", "ngtcp2-ngtcp2"], pairs.Select(p => p.Key));
        Assert.Equal(["ours-ours"], MatrixPair.ForPeers(["self"]).Select(p => p.Key));
        IReadOnlyList<MatrixPair> all = MatrixPair.ForPeers(["all"]);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Contains(all, p => p.Key == "msquic-ours");
        Assert.Contains(all, p => p.Key == "ngtcp2-ngtcp2");
        Assert.Equal("ours → ngtcp2", MatrixPair.Parse("ours-ngtcp2").Header);
        Assert.Throws<ArgumentException>(() => MatrixPair.Parse("ours"));
    }

    [Fact]
    public void Catalogue_has_every_runner_test_with_its_letters()
    {
        var letters = MatrixCatalogue.All.ToDictionary(t => t.Name, t => t.Abbreviation);
        Assert.Equal("DC", letters["transfer"]);
        Assert.Equal("C20", letters["chacha20"]);
        Assert.Equal("C", letters["crosstraffic"]);
        Assert.Equal("LR", letters["longrtt"]);
        Assert.Equal(24, letters.Count);
        Assert.Equal(letters.Count, letters.Values.Distinct().Count());
        foreach (MatrixTestCase t in MatrixCatalogue.All)
            Transport.Interop.Relay.RelayScenario.Parse(t.ScenarioFor(quick: false)); // every scenario parses
        Assert.Equal(TimeSpan.FromSeconds(300), MatrixCatalogue.Find("L1")!.Timeout);
        Assert.Equal("keyupdate", MatrixCatalogue.Find("keyupdate")!.ClientTestCase);
        Assert.Equal("transfer", MatrixCatalogue.Find("keyupdate")!.ServerTestCase);
    }
}
