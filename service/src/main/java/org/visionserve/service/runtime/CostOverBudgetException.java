package org.visionserve.service.runtime;

/** One request's estimated working memory alone exceeds the admission budget: it could never run (413). */
public class CostOverBudgetException extends RuntimeException {

    private final long bytes;
    private final long budget;

    public CostOverBudgetException(long bytes, long budget) {
        super("the request needs about " + mib(bytes) + " MiB of working memory, more than the service's budget of "
                + mib(budget) + " MiB (" + Admission.MEMORY_BUDGET_KEY + ")");
        this.bytes = bytes;
        this.budget = budget;
    }

    public long bytes() {
        return bytes;
    }

    public long budget() {
        return budget;
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
