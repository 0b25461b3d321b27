#pragma once

#include <QtGlobal>

#include <vector>

namespace relay {

// A binary min-heap of pointers to items that keep their own place in it (`Index`, -1 when
// out), so that any one leaves or moves in O(log n) without a search. `Before(a, b)`: a comes
// out first. The items are not owned. Used on one thread.
template <typename T, qsizetype T::*Index, typename Before> class IntrusiveHeap
{
public:
    bool empty() const { return m_items.empty(); }
    qsizetype size() const { return qsizetype(m_items.size()); }
    T *top() const { return m_items.front(); }
    const std::vector<T *> &items() const { return m_items; }

    void push(T *item)
    {
        m_items.push_back(item);
        item->*Index = size() - 1;
        siftUp(item->*Index);
    }
    // Takes out the item at `index`.
    void remove(qsizetype index)
    {
        T *removed = m_items[size_t(index)];
        removed->*Index = -1;
        T *last = m_items.back();
        m_items.pop_back();
        if (last == removed)
            return;
        place(last, index);
        update(index);
    }
    // The item at `index` has a new key: moves it to its place.
    void update(qsizetype index)
    {
        T *item = m_items[size_t(index)];
        siftDown(index);
        siftUp(item->*Index);
    }

private:
    void place(T *item, qsizetype index)
    {
        m_items[size_t(index)] = item;
        item->*Index = index;
    }
    void siftUp(qsizetype index)
    {
        T *item = m_items[size_t(index)];
        while (index > 0) {
            const qsizetype parent = (index - 1) / 2;
            if (!Before()(item, m_items[size_t(parent)]))
                break;
            place(m_items[size_t(parent)], index);
            index = parent;
        }
        place(item, index);
    }
    void siftDown(qsizetype index)
    {
        T *item = m_items[size_t(index)];
        const qsizetype count = size();
        for (;;) {
            qsizetype child = 2 * index + 1;
            if (child >= count)
                break;
            if (child + 1 < count && Before()(m_items[size_t(child + 1)], m_items[size_t(child)]))
                ++child;
            if (!Before()(m_items[size_t(child)], item))
                break;
            place(m_items[size_t(child)], index);
            index = child;
        }
        place(item, index);
    }

    std::vector<T *> m_items;
};

} // namespace relay
