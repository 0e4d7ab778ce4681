## Показатели для администраторов и руководителей ведомств

dashboard-nav = Показатели
dashboard-title = Показатели
dashboard-title-agency = Показатели ведомства { $agency }
dashboard-period = Период
dashboard-last-days = { $count ->
    [one] последний { $count } день
    [few] последние { $count } дня
   *[many] последние { $count } дней
}
dashboard-from = С (ГГГГ-ММ-ДД)
dashboard-to = По (включительно)
dashboard-agency = Ведомство
dashboard-agency-all = Все ведомства
dashboard-show = Показать
dashboard-summary = С { $from } по { $to } по московскому времени подано: { $reports }.
dashboard-reports-count = { $count ->
    [one] { $count } обращение
    [few] { $count } обращения
   *[many] { $count } обращений
}
dashboard-days-count = { $count ->
    [one] { $count } день
    [few] { $count } дня
   *[many] { $count } дней
}
dashboard-reports = Обращений
dashboard-daily-heading = По дням подачи
dashboard-date = Дата
dashboard-categories-heading = По категориям
dashboard-category = Категория
dashboard-districts-heading = По районам
dashboard-district = Район
dashboard-map-label = Карта районов Москвы: чем темнее район, тем больше в нём обращений за период
dashboard-no-district = Без района
dashboard-agencies-heading = Работа ведомств
dashboard-agencies-empty = За период ни одно обращение не передано в ведомство.
dashboard-agency-assigned = Передано
dashboard-agency-answered = Решено
dashboard-agency-on-time = Решено в срок
dashboard-agency-median = Медиана времени решения, ч
dashboard-agency-p90 = 90-й процентиль времени решения, ч
dashboard-agency-overdue = Просрочено сейчас
dashboard-agency-rating = Средняя оценка жителей
dashboard-agency-ratings = Оценок
dashboard-definitions = Учитываются обращения, поданные за период и переданные ведомству (после перенаправления — последнему). Решённым считается обращение в статусе «решено» или «закрыто»; возобновлённое снова считается нерешённым. В срок — если решение принято не позже срока обращения. Время решения — от последней передачи в ведомство до решения, в часах; медиана и 90-й процентиль взяты по рангу: значение, не меньше которого половина (девять десятых) всех времён. Просроченные — открытые обращения ведомства с истёкшим сроком на текущий момент, поданные когда угодно; обращения, ждущие ответа жителя, не просрочены.
dashboard-overdue-heading = Просроченные обращения
dashboard-overdue-empty = Просроченных обращений нет.
dashboard-overdue-limited = Показаны { $count } самых просроченных.
dashboard-number = Номер
dashboard-deadline = Срок
dashboard-days-overdue = Просрочено на
dashboard-no-value = —
dashboard-error-days-invalid = Выберите период: 7, 30 или 90 дней.
dashboard-error-date-invalid = Введите дату в виде ГГГГ-ММ-ДД, например 2026-11-01.
dashboard-error-period-reversed = Дата окончания периода раньше даты начала.
dashboard-error-period-too-long = Период не может быть длиннее { $max } дней.
dashboard-error-agency-unknown = Такого ведомства нет в справочнике.
