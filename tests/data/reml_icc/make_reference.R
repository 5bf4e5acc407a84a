# Reference values for the REML two-way ICC (fidelity.stats.variance, fidelity.stats.icc_reml).
# Run from the repository root:  Rscript tests/data/reml_icc/make_reference.R
# Writes tests/data/reml_icc/reference.csv: for every data set, the lme4 REML variance
# components of y ~ 1 + (1 | subject) + (1 | rater) (bobyqa with tight tolerances, so that the
# optimiser's own error is below 1e-8), the REML criterion, and psych::ICC(lmer = TRUE,
# missing = FALSE) values of ICC2, ICC3, ICC2k, ICC3k (psych runs lmer with its defaults).
suppressPackageStartupMessages({ library(lme4); library(psych) })
dir <- "tests/data/reml_icc"
files <- sort(list.files(dir, pattern = "^(sf|synth).*\\.csv$"))
ctrl <- lmerControl(optimizer = "bobyqa",
                    optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5),
                    check.conv.singular = "ignore")
rows <- list()
for (f in files) {
  x <- as.matrix(read.csv(file.path(dir, f)))
  long <- data.frame(y = as.vector(x), subject = factor(rep(seq_len(nrow(x)), ncol(x))),
                     rater = factor(rep(seq_len(ncol(x)), each = nrow(x))))
  long <- long[!is.na(long$y), ]
  m <- lmer(y ~ 1 + (1 | subject) + (1 | rater), data = long, REML = TRUE, control = ctrl)
  vc <- as.data.frame(VarCorr(m))
  v <- setNames(vc$vcov, vc$grp)
  ic <- suppressWarnings(suppressMessages(psych::ICC(x, missing = FALSE, lmer = TRUE)))$results
  rows[[f]] <- data.frame(
    dataset = sub("\\.csv$", "", f), var_subject = v[["subject"]], var_rater = v[["rater"]],
    var_error = v[["Residual"]], mean = unname(fixef(m)[1]), reml_criterion = REMLcrit(m),
    psych_ICC2 = ic["Single_random_raters", "ICC"], psych_ICC3 = ic["Single_fixed_raters", "ICC"],
    psych_ICC2k = ic["Average_random_raters", "ICC"], psych_ICC3k = ic["Average_fixed_raters", "ICC"])
}
out <- do.call(rbind, rows)
header <- c(sprintf("# %s; lme4 %s; psych %s; Matrix %s", R.version.string,
                    packageVersion("lme4"), packageVersion("psych"), packageVersion("Matrix")),
            "# made by tests/data/reml_icc/make_reference.R from the CSV files beside it")
writeLines(header, file.path(dir, "reference.csv"))
suppressWarnings(write.table(format(out, digits = 15), file.path(dir, "reference.csv"), sep = ",",
            row.names = FALSE, quote = FALSE, append = TRUE))
